with

oro_order_line_items as (

    select * from {{ source('orocommerce', 'oro_order_line_items') }}

),

renombrado as (

    select
        cast(order_id as integer) as orden_id,
        cast(line_item_id as integer) as linea_orden_id,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_order_line_items

),

-- one row per (orden_id, linea_orden_id): the latest load
final as (

    {{ deduplicate('renombrado', 'orden_id, linea_orden_id', '_cargado_at desc nulls last') }}

)

select * from final
