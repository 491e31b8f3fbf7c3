{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_promotion_coupon as (

    select * from {{ source('orocommerce', 'oro_promotion_coupon') }}

),

renombrado as (

    select
        cast(id as integer) as cupon_id,
        cast(promotion_id as integer) as promocion_id,
        cast(code as varchar) as codigo,
        cast(code_uppercase as varchar) as codigo_mayusculas,
        cast(enabled as boolean) as es_activo,
        cast(uses_per_coupon as integer) as usos_por_cupon,
        cast(uses_per_person as integer) as usos_por_persona,
        cast(valid_from as timestamp) as vigente_desde_at,
        cast(valid_until as timestamp) as vigente_hasta_at,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion_coupon

),

-- one row per cupon_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'cupon_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
