{#-
    dim_marca: one row per Oro brand (business key marca_id =
    oro_brand.id as text), plus inferred members for brand ids the
    products use that oro_brand lacks, and the unknown member. The ERP's
    brand names are matched to these rows by name in dim_producto.
-#}

with

marcas as (

    select * from {{ ref('stg_orocommerce__brands') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

miembros as (

    select
        cast(marca_id as {{ dbt.type_string() }}) as marca_id,
        cast(coalesce(trim(nombre), 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(
            case lower(trim(estado))
                when 'enabled' then 'activo'
                when 'disabled' then 'inactivo'
                else coalesce(lower(trim(estado)), 'N/D')
            end as {{ dbt.type_string() }}
        ) as estado,
        false as es_inferido
    from marcas

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as marca_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as estado,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.marca_id
    where
        claves_referenciadas.dimension = 'marca'
        and miembros.marca_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as marca_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as estado,
        false as es_inferido

),

unidos as (

    select * from miembros
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['marca_id']) }} as marca_key,
        marca_id,
        nombre,
        estado,
        es_inferido
    from unidos

)

select * from final
