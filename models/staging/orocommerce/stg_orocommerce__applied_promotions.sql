{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_promotion_applied as (

    select * from {{ source('orocommerce', 'oro_promotion_applied') }}

),

renombrado as (

    select
        cast(id as integer) as promocion_aplicada_id,
        cast(order_id as integer) as orden_id,
        cast(source_promotion_id as integer) as promocion_id,
        cast(promotion_name as varchar) as nombre_promocion,
        cast(type as varchar) as tipo,
        cast(active as boolean) as es_activa,
        cast(removed as boolean) as es_eliminada,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion_applied

),

-- one row per promocion_aplicada_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'promocion_aplicada_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
