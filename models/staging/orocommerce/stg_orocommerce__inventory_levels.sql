with

oro_inventory_level as (

    select * from {{ source('orocommerce', 'oro_inventory_level') }}

),

renombrado as (

    select
        cast(id as integer) as nivel_inventario_id,
        cast(product_id as integer) as producto_id,
        cast(product_unit_precision_id as integer) as precision_unidad_id,
        cast(quantity as decimal(20, 10)) as cantidad,
        cast(organization_id as integer) as organizacion_id,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_inventory_level

),

-- one row per nivel_inventario_id: the latest load
final as (

    {{ deduplicate('renombrado', 'nivel_inventario_id', '_cargado_at desc nulls last') }}

)

select * from final
