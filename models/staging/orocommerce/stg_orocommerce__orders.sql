{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_order as (

    select * from {{ source('orocommerce', 'oro_order') }}
    -- rows deleted in the source (marked by the ingestion's deletion check) are left out;
    -- an incremental build reads only the load packages it does not hold yet
    where _deleted_at is null and {{ cargas_nuevas(is_incremental()) }}

),

renombrado as (

    select
        cast(id as integer) as orden_id,
        {{ populate_generated_id('numero_orden', 'id', "nullif(trim(cast(identifier as varchar)), '')") }},
        cast(po_number as varchar) as numero_orden_compra,
        cast(customer_id as integer) as cliente_id,
        cast(customer_user_id as integer) as usuario_cliente_id,
        cast(website_id as integer) as sitio_web_id,
        cast(organization_id as integer) as organizacion_id,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(parent_id as integer) as orden_padre_id,
        cast(billing_address_id as integer) as direccion_facturacion_id,
        cast(shipping_address_id as integer) as direccion_envio_id,
        {{ populate_default('moneda', "upper(nullif(trim(cast(currency as varchar)), ''))") }},
        cast(subtotal_value as decimal(19, 4)) as subtotal,
        cast(subtotal_currency as varchar) as moneda_subtotal,
        cast(total_value as decimal(19, 4)) as total,
        cast(total_currency as varchar) as moneda_total,
        cast(base_total_value as decimal(19, 4)) as total_base,
        cast(estimated_shipping_cost_amount as decimal(19, 4)) as costo_envio_estimado,
        cast(override_shipping_cost_amount as decimal(19, 4)) as costo_envio_manual,
        cast(total_discounts_amount as decimal(19, 4)) as total_descuentos,
        cast(shipping_method as varchar) as metodo_envio,
        cast(shipping_method_type as varchar) as tipo_metodo_envio,
        cast(source_entity_class as varchar) as origen_entidad_clase,
        cast(source_entity_id as integer) as origen_entidad_id,
        cast(is_external as boolean) as es_externa,
        cast(external_id as varchar) as externo_id,
        cast(disablepromotions as boolean) as tiene_promociones_deshabilitadas,
        {{ oro_enum_code('serialized_data', 'internal_status') }} as estado_interno,
        {{ oro_enum_code('serialized_data', 'status') }} as estado,
        {{ oro_enum_code('serialized_data', 'shippingStatus') }} as estado_envio,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_order

),

-- one row per orden_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'orden_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
