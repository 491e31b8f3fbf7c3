with

oro_product_unit as (

    select * from {{ source('orocommerce', 'oro_product_unit') }}

),

renombrado as (

    select
        cast(code as varchar) as unidad_codigo,
        cast(default_precision as integer) as precision_predeterminada,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_product_unit

),

-- one row per unidad_codigo: the latest load
final as (

    {{ deduplicate('renombrado', 'unidad_codigo', '_cargado_at desc nulls last') }}

)

select * from final
