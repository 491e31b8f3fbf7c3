{#-
    Oro's calculated taxes, one row per order or order line item: the
    amounts of the entity's own element of the tax result (`row` for a line
    item, `total` for an order) and the first tax applied. Amounts are
    decimal text in Oro; a value that does not convert is null.
-#}
{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}
{%- set clase_linea = "'Oro\\Bundle\\OrderBundle\\Entity\\OrderLineItem'" -%}
{%- set clase_orden = "'Oro\\Bundle\\OrderBundle\\Entity\\Order'" -%}

with

oro_tax_value as (

    select * from {{ source('orocommerce', 'oro_tax_value') }}

),

renombrado as (

    select
        cast(id as integer) as valor_impuesto_id,
        cast(entity_class as varchar) as entidad_clase,
        cast(entity_id as integer) as entidad_id,
        case when entity_class = {{ clase_orden }} then cast(entity_id as integer) end as orden_id,
        case when entity_class = {{ clase_linea }} then cast(entity_id as integer) end as linea_orden_id,
        {{ importe_impuesto_oro('result', 'includingTax') }} as monto_con_impuesto,
        {{ importe_impuesto_oro('result', 'excludingTax') }} as monto_sin_impuesto,
        {{ importe_impuesto_oro('result', 'taxAmount') }} as monto_impuesto,
        {{ try_cast_text(json_extract_text('result', 'shipping.taxAmount'), 'decimal(19, 4)') }}
            as monto_impuesto_envio,
        upper(coalesce(
            {{ json_extract_text('result', 'row.currency') }},
            {{ json_extract_text('result', 'total.currency') }}
        )) as moneda,
        {{ json_extract_text('result', 'taxes.0.tax') }} as codigo_impuesto,
        {{ try_cast_text(json_extract_text('result', 'taxes.0.rate'), 'decimal(9, 6)') }} as tasa_impuesto,
        cast(address as varchar) as direccion,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_tax_value

),

-- one row per valor_impuesto_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'valor_impuesto_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
