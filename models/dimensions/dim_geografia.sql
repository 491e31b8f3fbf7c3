{#-
    dim_geografia: one row per place country / region (department) / city:
      - every place of an Oro order or customer address or of a store
        (int_dim_geografia__direcciones), level 'ciudad';
      - every region of the Oro region dictionary and every department of
        the seed departamentos_el_salvador, level 'region' (city N/D);
      - every country of the Oro country dictionary, level 'pais'.
    Business key geografia_id = clave_geografia(country, region, city),
    e.g. 'SV|SV-SS|SAN SALVADOR', 'SV|SV-SS|N/D', 'SV|N/D|N/D'. Names come
    from the dictionaries (the seed for El Salvador's departments, with
    their zone). Facts reach it through int_dim_geografia__direcciones, so
    every address they use has its row: no inferred members here.
-#}

with

direcciones as (

    select * from {{ ref('int_dim_geografia__direcciones') }}

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

lugares_de_direcciones as (

    select
        pais_codigo,
        region_codigo,
        region_texto,
        ciudad,
        geografia_id
    from direcciones
    where geografia_id is not null

),

regiones_del_diccionario as (

    select
        upper(trim(pais_codigo)) as pais_codigo,
        upper(trim(region_codigo)) as region_codigo,
        cast(null as {{ dbt.type_string() }}) as region_texto,
        cast(null as {{ dbt.type_string() }}) as ciudad,
        {{ clave_geografia('pais_codigo', 'region_codigo', 'null') }} as geografia_id
    from regiones
    where not coalesce(es_eliminado, false)

    union all

    select
        cast('SV' as {{ dbt.type_string() }}) as pais_codigo,
        upper(trim(codigo)) as region_codigo,
        cast(null as {{ dbt.type_string() }}) as region_texto,
        cast(null as {{ dbt.type_string() }}) as ciudad,
        {{ clave_geografia("'SV'", 'codigo', 'null') }} as geografia_id
    from departamentos

),

paises_del_diccionario as (

    select
        upper(trim(pais_codigo)) as pais_codigo,
        cast(null as {{ dbt.type_string() }}) as region_codigo,
        cast(null as {{ dbt.type_string() }}) as region_texto,
        cast(null as {{ dbt.type_string() }}) as ciudad,
        {{ clave_geografia('pais_codigo', 'null', 'null') }} as geografia_id
    from paises
    where not coalesce(es_eliminado, false)

),

candidatos as (

    select * from lugares_de_direcciones
    union all
    select * from regiones_del_diccionario
    union all
    select * from paises_del_diccionario

),

lugares as (

    select
        geografia_id,
        min(pais_codigo) as pais_codigo,
        min(region_codigo) as region_codigo,
        min(region_texto) as region_texto,
        min(ciudad) as ciudad
    from candidatos
    group by geografia_id

),

nombrados as (

    select
        cast(lugares.geografia_id as {{ dbt.type_string() }}) as geografia_id,
        cast(coalesce(lugares.pais_codigo, 'N/D') as {{ dbt.type_string() }}) as pais_codigo,
        cast(
            coalesce(paises.nombre, lugares.pais_codigo, 'N/D') as {{ dbt.type_string() }}
        ) as pais,
        cast(coalesce(lugares.region_codigo, 'N/D') as {{ dbt.type_string() }}) as region_codigo,
        cast(
            coalesce(departamentos.nombre, regiones.nombre, lugares.region_texto, 'N/D')
            as {{ dbt.type_string() }}
        ) as region,
        cast(coalesce(lugares.ciudad, 'N/D') as {{ dbt.type_string() }}) as ciudad,
        cast(coalesce(departamentos.zona, 'N/D') as {{ dbt.type_string() }}) as zona,
        cast(
            case
                when lugares.ciudad is not null then 'ciudad'
                when coalesce(lugares.region_codigo, lugares.region_texto) is not null then 'region'
                else 'pais'
            end as {{ dbt.type_string() }}
        ) as nivel_geografico,
        coalesce(lugares.pais_codigo = 'SV', false) as es_el_salvador,
        false as es_inferido
    from lugares
    left join paises
        on lugares.pais_codigo = upper(trim(paises.pais_codigo))
    left join regiones
        on lugares.region_codigo = upper(trim(regiones.region_codigo))
    left join departamentos
        on lugares.region_codigo = upper(trim(departamentos.codigo))

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as geografia_id,
        cast('N/D' as {{ dbt.type_string() }}) as pais_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as pais,
        cast('N/D' as {{ dbt.type_string() }}) as region_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as region,
        cast('N/D' as {{ dbt.type_string() }}) as ciudad,
        cast('N/D' as {{ dbt.type_string() }}) as zona,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_geografico,
        false as es_el_salvador,
        false as es_inferido

),

unidos as (

    select * from nombrados
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['geografia_id']) }} as geografia_key,
        geografia_id,
        pais_codigo,
        pais,
        region_codigo,
        region,
        ciudad,
        zona,
        nivel_geografico,
        es_el_salvador,
        es_inferido
    from unidos

)

select * from final
