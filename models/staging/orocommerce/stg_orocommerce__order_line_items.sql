{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_order_line_item as (

    select * from {{ source('orocommerce', 'oro_order_line_item') }}
    -- rows deleted in the source (marked by the ingestion's deletion check) are left out;
    -- an incremental build reads only the load packages it does not hold yet
    where _deleted_at is null and {{ cargas_nuevas(is_incremental()) }}

),

renombrado as (

    select
        cast(id as integer) as linea_orden_id,
        cast(product_id as integer) as producto_id,
        cast(parent_product_id as integer) as producto_padre_id,
        cast(product_sku as varchar) as sku,
        cast(product_name as varchar) as nombre_producto,
        cast(free_form_product as varchar) as producto_libre,
        cast(product_unit_id as varchar) as unidad_id,
        cast(product_unit_code as varchar) as unidad_codigo,
        cast(quantity as double precision) as cantidad,
        cast(value as decimal(19, 4)) as precio_unitario,
        {{ populate_default('moneda', "upper(nullif(trim(cast(currency as varchar)), ''))") }},
        cast(price_type as integer) as tipo_precio,
        cast(ship_by as date) as fecha_envio_limite,
        cast(from_external_source as boolean) as es_de_fuente_externa,
        cast(shipping_method as varchar) as metodo_envio,
        cast(shipping_method_type as varchar) as tipo_metodo_envio,
        cast(checksum as varchar) as suma_verificacion,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_order_line_item

),

-- one row per linea_orden_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'linea_orden_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
