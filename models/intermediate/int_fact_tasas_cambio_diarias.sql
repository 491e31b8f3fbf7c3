{#-
    The exchange rate of every calendar day of dim_fecha and every currency
    of tipos_cambio.csv, as of that day: the latest rate published on or
    before the day (weekends and missing days carry the previous rate).
    Days before a currency's first rate have no row. USD has no rows:
    convertir_a_usd() converts USD at 1.
-#}

with

tipos_cambio as (

    select * from {{ ref('stg_csv__tipos_cambio') }}

),

dim_fecha as (

    select * from {{ ref('dim_fecha') }}

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
        dim_fecha.fecha,
        vigencias.moneda,
        vigencias.tasa_usd,
        vigencias.fecha_tasa
    from dim_fecha
    inner join vigencias
        on
            dim_fecha.fecha >= vigencias.fecha_tasa
            and (
                dim_fecha.fecha < vigencias.fecha_siguiente_tasa
                or vigencias.fecha_siguiente_tasa is null
            )
    where dim_fecha.fecha_key != -1

)

select * from final
