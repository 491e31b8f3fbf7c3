{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_product as (

    select * from {{ source('orocommerce', 'oro_product') }}

),

renombrado as (

    select
        cast(id as integer) as producto_id,
        cast(sku as varchar) as sku,
        cast(sku_uppercase as varchar) as sku_mayusculas,
        cast(name as varchar) as nombre,
        cast(name_uppercase as varchar) as nombre_mayusculas,
        cast(status as varchar) as estado,
        cast(type as varchar) as tipo,
        cast(is_featured as boolean) as es_destacado,
        cast(is_new_arrival as boolean) as es_novedad,
        cast(primary_unit_precision_id as integer) as precision_unidad_principal_id,
        cast(brand_id as integer) as marca_id,
        cast(category_id as integer) as categoria_id,
        cast(organization_id as integer) as organizacion_id,
        cast(business_unit_owner_id as integer) as unidad_negocio_id,
        {{ oro_enum_code('serialized_data', 'inventory_status') }} as estado_inventario,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_product

),

-- one row per producto_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'producto_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
