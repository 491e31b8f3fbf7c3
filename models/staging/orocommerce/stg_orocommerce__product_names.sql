with

oro_product_prod_name as (

    select * from {{ source('orocommerce', 'oro_product_prod_name') }}

),

renombrado as (

    select
        cast(id as integer) as nombre_producto_id,
        cast(product_id as integer) as producto_id,
        cast(localization_id as integer) as localizacion_id,
        cast(fallback as varchar) as respaldo,
        cast(string as varchar) as nombre,
        localization_id is null as es_predeterminado,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_product_prod_name

),

-- one row per nombre_producto_id: the latest load
final as (

    {{ deduplicate('renombrado', 'nombre_producto_id', '_cargado_at desc nulls last') }}

)

select * from final
