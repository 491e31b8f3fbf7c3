{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_promotion_applied_coupon as (

    select * from {{ source('orocommerce', 'oro_promotion_applied_coupon') }}

),

renombrado as (

    select
        cast(id as integer) as cupon_aplicado_id,
        cast(applied_promotion_id as integer) as promocion_aplicada_id,
        cast(order_id as integer) as orden_id,
        cast(coupon_code as varchar) as codigo_cupon,
        cast(source_promotion_id as integer) as promocion_id,
        cast(source_coupon_id as integer) as cupon_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion_applied_coupon

),

-- one row per cupon_aplicado_id: the latest created_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'cupon_aplicado_id', 'created_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
