{#-
    int_dim_geografia__direcciones: every address the warehouse knows
    (Oro order addresses, Oro customer addresses, stores and warehouses of
    sucursales.csv) with its place resolved and its dim_geografia business
    key, one row per (origen, direccion_id).

    Resolution, in order:
      country  the ISO code of the address (upper case); a store has a
               country name (population default 'El Salvador'): matched to
               the Oro country dictionary by normalized name.
      region   the region code of the address ('SV-SS'); else its free
               text matched by normalized name to the Oro region
               dictionary of that country, then to the departments seed
               (El Salvador); else the text itself.
      city     the city as written (normalized only in the key).
    geografia_id = clave_geografia(country, region code or text, city).
    The facts map an address to dim_geografia through this model:
    (origen = 'orden', direccion_id = the order's shipping address id).
-#}

with

direcciones_orden as (

    select * from {{ ref('stg_orocommerce__order_addresses') }}

),

direcciones_cliente as (

    select * from {{ ref('stg_orocommerce__customer_addresses') }}

),

sucursales as (

    select * from {{ ref('stg_csv__sucursales') }}

),

paises as (

    select * from {{ ref('stg_orocommerce__countries') }}

),

regiones as (

    select * from {{ ref('stg_orocommerce__regions') }}

),

departamentos as (

    select * from {{ ref('departamentos_el_salvador') }}

),

direcciones as (

    select
        cast('orden' as {{ dbt.type_string() }}) as origen,
        cast(direccion_orden_id as {{ dbt.type_string() }}) as direccion_id,
        upper(nullif(trim(pais_codigo), '')) as pais_codigo,
        cast(null as {{ dbt.type_string() }}) as pais_nombre,
        upper(nullif(trim(region_codigo), '')) as region_codigo,
        nullif(trim(region_texto), '') as region_texto,
        nullif(trim(ciudad), '') as ciudad
    from direcciones_orden

    union all

    select
        cast('cliente' as {{ dbt.type_string() }}) as origen,
        cast(direccion_cliente_id as {{ dbt.type_string() }}) as direccion_id,
        upper(nullif(trim(pais_codigo), '')) as pais_codigo,
        cast(null as {{ dbt.type_string() }}) as pais_nombre,
        upper(nullif(trim(region_codigo), '')) as region_codigo,
        nullif(trim(region_texto), '') as region_texto,
        nullif(trim(ciudad), '') as ciudad
    from direcciones_cliente

    union all

    select
        cast('sucursal' as {{ dbt.type_string() }}) as origen,
        cast(sucursal_codigo as {{ dbt.type_string() }}) as direccion_id,
        cast(null as {{ dbt.type_string() }}) as pais_codigo,
        nullif(trim(pais), '') as pais_nombre,
        cast(null as {{ dbt.type_string() }}) as region_codigo,
        nullif(trim(departamento), '') as region_texto,
        nullif(trim(ciudad), '') as ciudad
    from sucursales

),

-- each text normalized once: texto_normalizado is a regular expression per row
direcciones_normalizadas as (

    select
        *,
        {{ texto_normalizado('pais_nombre') }} as pais_nombre_normalizado,
        {{ texto_normalizado('region_texto') }} as region_texto_normalizado
    from direcciones

),

paises_por_nombre as (

    select
        {{ texto_normalizado('nombre') }} as nombre_normalizado,
        min(pais_codigo) as pais_codigo
    from paises
    group by {{ texto_normalizado('nombre') }}

),

con_pais as (

    select
        direcciones_normalizadas.origen,
        direcciones_normalizadas.direccion_id,
        direcciones_normalizadas.region_codigo,
        direcciones_normalizadas.region_texto,
        direcciones_normalizadas.region_texto_normalizado,
        direcciones_normalizadas.ciudad,
        coalesce(
            direcciones_normalizadas.pais_codigo,
            paises_por_nombre.pais_codigo,
            direcciones_normalizadas.pais_nombre_normalizado
        ) as pais_codigo
    from direcciones_normalizadas
    left join paises_por_nombre
        on direcciones_normalizadas.pais_nombre_normalizado = paises_por_nombre.nombre_normalizado

),

regiones_por_nombre as (

    select
        pais_codigo,
        {{ texto_normalizado('nombre') }} as nombre_normalizado,
        min(region_codigo) as region_codigo
    from regiones
    group by pais_codigo, {{ texto_normalizado('nombre') }}

),

departamentos_por_nombre as (

    select
        cast('SV' as {{ dbt.type_string() }}) as pais_codigo,
        {{ texto_normalizado('nombre') }} as nombre_normalizado,
        min(codigo) as region_codigo
    from departamentos
    group by {{ texto_normalizado('nombre') }}

),

resuelto as (

    select
        con_pais.origen,
        con_pais.direccion_id,
        con_pais.pais_codigo,
        con_pais.region_texto,
        con_pais.region_texto_normalizado,
        con_pais.ciudad,
        coalesce(
            con_pais.region_codigo,
            regiones_por_nombre.region_codigo,
            departamentos_por_nombre.region_codigo
        ) as region_codigo
    from con_pais
    left join regiones_por_nombre
        on
            con_pais.pais_codigo = regiones_por_nombre.pais_codigo
            and con_pais.region_texto_normalizado = regiones_por_nombre.nombre_normalizado
    left join departamentos_por_nombre
        on
            con_pais.pais_codigo = departamentos_por_nombre.pais_codigo
            and con_pais.region_texto_normalizado = departamentos_por_nombre.nombre_normalizado

),

-- the parts of the key, normalized (the region text is already)
partes as (

    select
        *,
        {{ texto_normalizado('pais_codigo') }} as pais_clave,
        case
            when region_codigo is not null then {{ texto_normalizado('region_codigo') }}
            else region_texto_normalizado
        end as region_clave,
        {{ texto_normalizado('ciudad') }} as ciudad_clave
    from resuelto

),

final as (

    select
        origen,
        direccion_id,
        pais_codigo,
        region_codigo,
        region_texto,
        ciudad,
        {{ clave_geografia_de_partes('pais_clave', 'region_clave', 'ciudad_clave') }} as geografia_id
    from partes

)

select * from final
