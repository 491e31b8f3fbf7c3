{#-
    The exchange rate of every calendar day of dim_fecha's range (vars
    fecha_inicio .. fecha_fin) and every currency of tipos_cambio.csv, as of
    that day: the latest rate published on or before the day (weekends and
    missing days carry the previous rate). Days before a currency's first
    rate have no row. USD has no rows: convertir_a_usd() converts USD at 1.
    The calendar is generated here, not read from dim_fecha: a view on a
    dimension table would be dropped (cascade) by PostgreSQL whenever the
    dimension is rebuilt without it.
-#}
{%- set fecha_inicio = var('fecha_inicio', '2024-01-01') | string -%}
{%- set fecha_fin = var('fecha_fin', '2027-12-31') | string -%}

with

tipos_cambio as (

    select * from {{ ref('stg_csv__tipos_cambio') }}

),

calendario as (

    {{ date_spine(
        "cast('" ~ fecha_inicio ~ "' as date)",
        "cast('" ~ fecha_fin ~ "' as date)"
    ) }}

),

tasas_validas as (

    select
        fecha,
        moneda,
        tasa_usd
    from tipos_cambio
    where
        fecha is not null
        and moneda is not null
        and moneda != 'USD'
        and tasa_usd is not null

),

vigencias as (

    -- each rate holds from its day until the next published rate of its currency
    select
        moneda,
        tasa_usd,
        fecha as fecha_tasa,
        lead(fecha) over (partition by moneda order by fecha) as fecha_siguiente_tasa
    from tasas_validas

),

final as (

    select
        calendario.fecha,
        vigencias.moneda,
        vigencias.tasa_usd,
        vigencias.fecha_tasa
    from calendario
    inner join vigencias
        on
            calendario.fecha >= vigencias.fecha_tasa
            and (
                calendario.fecha < vigencias.fecha_siguiente_tasa
                or vigencias.fecha_siguiente_tasa is null
            )

)

select * from final
