{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_promotion_applied_discount as (

    select * from {{ source('orocommerce', 'oro_promotion_applied_discount') }}

),

renombrado as (

    select
        cast(id as integer) as descuento_aplicado_id,
        cast(applied_promotion_id as integer) as promocion_aplicada_id,
        cast(line_item_id as integer) as linea_orden_id,
        cast(amount as decimal(19, 4)) as monto,
        {{ populate_default('moneda', "upper(nullif(trim(cast(currency as varchar)), ''))") }},
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion_applied_discount

),

-- one row per descuento_aplicado_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'descuento_aplicado_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
