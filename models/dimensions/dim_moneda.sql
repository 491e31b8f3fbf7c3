{#-
    dim_moneda: one row per ISO 4217 currency of the seed monedas_iso, with
    its latest rate to USD from tipos_cambio.csv (USD = 1), plus inferred
    members for currencies the facts use that the seed lacks, and the
    unknown member. Business key: the ISO code (moneda_id = 'USD').
    Conversion of the facts uses the rate of each day (stg_csv__tipos_cambio),
    not this latest rate.
-#}

with

monedas_iso as (

    select * from {{ ref('monedas_iso') }}

),

tipos_cambio as (

    select * from {{ ref('stg_csv__tipos_cambio') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

tasas_validas as (

    select
        moneda,
        fecha,
        tasa_usd
    from tipos_cambio
    where
        moneda is not null
        and fecha is not null
        and tasa_usd is not null

),

ultima_tasa as (

    {{ deduplicate('tasas_validas', 'moneda', 'fecha desc') }}

),

monedas as (

    select
        cast(upper(trim(monedas_iso.codigo)) as {{ dbt.type_string() }}) as moneda_id,
        cast(monedas_iso.nombre as {{ dbt.type_string() }}) as nombre,
        cast(monedas_iso.simbolo as {{ dbt.type_string() }}) as simbolo,
        cast(monedas_iso.codigo_numerico as {{ dbt.type_string() }}) as codigo_numerico,
        cast(monedas_iso.decimales as integer) as decimales,
        cast(
            case
                when upper(trim(monedas_iso.codigo)) = 'USD' then 1
                else ultima_tasa.tasa_usd
            end as decimal(18, 8)
        ) as tasa_usd,
        cast(
            case when upper(trim(monedas_iso.codigo)) != 'USD' then ultima_tasa.fecha end
            as date
        ) as fecha_tasa,
        false as es_inferido
    from monedas_iso
    left join ultima_tasa
        on upper(trim(monedas_iso.codigo)) = ultima_tasa.moneda

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as moneda_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as simbolo,
        cast('N/D' as {{ dbt.type_string() }}) as codigo_numerico,
        cast(null as integer) as decimales,
        cast(null as decimal(18, 8)) as tasa_usd,
        cast(null as date) as fecha_tasa,
        true as es_inferido
    from claves_referenciadas
    left join monedas
        on claves_referenciadas.clave = monedas.moneda_id
    where
        claves_referenciadas.dimension = 'moneda'
        and monedas.moneda_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as moneda_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as simbolo,
        cast('N/D' as {{ dbt.type_string() }}) as codigo_numerico,
        cast(null as integer) as decimales,
        cast(null as decimal(18, 8)) as tasa_usd,
        cast(null as date) as fecha_tasa,
        false as es_inferido

),

unidos as (

    select * from monedas
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['moneda_id']) }} as moneda_key,
        moneda_id,
        nombre,
        simbolo,
        codigo_numerico,
        decimales,
        tasa_usd,
        fecha_tasa,
        es_inferido
    from unidos

)

select * from final
