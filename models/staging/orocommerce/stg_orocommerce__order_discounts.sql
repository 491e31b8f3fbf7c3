with

oro_order_discount as (

    select * from {{ source('orocommerce', 'oro_order_discount') }}

),

renombrado as (

    select
        cast(id as integer) as descuento_orden_id,
        cast(order_id as integer) as orden_id,
        cast(type as varchar) as tipo,
        cast(percent as double precision) as porcentaje,
        cast(amount as decimal(19, 4)) as monto,
        cast(description as varchar) as descripcion,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_order_discount

),

-- one row per descuento_orden_id: the latest load
final as (

    {{ deduplicate('renombrado', 'descuento_orden_id', '_cargado_at desc nulls last') }}

)

select * from final
