with

oro_price_product as (

    select * from {{ source('orocommerce', 'oro_price_product') }}

),

renombrado as (

    select
        cast(id as varchar) as precio_producto_id,
        cast(price_list_id as integer) as lista_precios_id,
        cast(product_id as integer) as producto_id,
        cast(product_sku as varchar) as sku,
        cast(unit_code as varchar) as unidad_codigo,
        cast(quantity as double precision) as cantidad_minima,
        cast(value as decimal(19, 4)) as precio_unitario,
        {{ populate_default('moneda', "upper(nullif(trim(cast(currency as varchar)), ''))") }},
        cast(version as integer) as version_precio,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_price_product

),

-- one row per precio_producto_id: the latest load
final as (

    {{ deduplicate('renombrado', 'precio_producto_id', '_cargado_at desc nulls last') }}

)

select * from final
