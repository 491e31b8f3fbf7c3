with

oro_promotion_discount_config as (

    select * from {{ source('orocommerce', 'oro_promotion_discount_config') }}

),

renombrado as (

    select
        cast(id as integer) as configuracion_descuento_id,
        cast(type as varchar) as tipo,
        cast(options as varchar) as opciones,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_promotion_discount_config

),

-- one row per configuracion_descuento_id: the latest load
final as (

    {{ deduplicate('renombrado', 'configuracion_descuento_id', '_cargado_at desc nulls last') }}

)

select * from final
