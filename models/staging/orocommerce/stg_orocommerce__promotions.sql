{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_promotion as (

    select * from {{ source('orocommerce', 'oro_promotion') }}

),

renombrado as (

    select
        cast(id as integer) as promocion_id,
        cast(rule_id as integer) as regla_id,
        cast(discount_config_id as integer) as configuracion_descuento_id,
        cast(use_coupons as boolean) as tiene_cupones,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion

),

-- one row per promocion_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'promocion_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
