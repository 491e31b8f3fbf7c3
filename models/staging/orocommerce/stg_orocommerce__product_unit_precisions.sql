with

oro_product_unit_precision as (

    select * from {{ source('orocommerce', 'oro_product_unit_precision') }}

),

renombrado as (

    select
        cast(id as integer) as precision_unidad_id,
        cast(product_id as integer) as producto_id,
        cast(unit_code as varchar) as unidad_codigo,
        cast(unit_precision as integer) as decimales,
        cast(conversion_rate as double precision) as factor_conversion,
        cast(sell as boolean) as es_vendible,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_product_unit_precision

),

-- one row per precision_unidad_id: the latest load
final as (

    {{ deduplicate('renombrado', 'precision_unidad_id', '_cargado_at desc nulls last') }}

)

select * from final
