{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_catalog_category as (

    select * from {{ source('orocommerce', 'oro_catalog_category') }}

),

renombrado as (

    select
        cast(id as integer) as categoria_id,
        cast(parent_id as integer) as categoria_padre_id,
        cast(title as varchar) as nombre,
        cast(tree_left as integer) as arbol_izquierda,
        cast(tree_right as integer) as arbol_derecha,
        cast(tree_level as integer) as nivel,
        cast(tree_root as integer) as categoria_raiz_id,
        cast(materialized_path as varchar) as ruta_materializada,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_catalog_category

),

-- one row per categoria_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'categoria_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
