{#-
    Oro's calculated taxes, one row per order or order line item: the
    amounts of the entity's own element of the tax result (`row` for a line
    item, `total` for an order) and the first tax applied. Amounts are
    decimal text in Oro; a value that does not convert is null.
-#}
{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}
{%- set clase_linea = "'Oro\\Bundle\\OrderBundle\\Entity\\OrderLineItem'" -%}
{%- set clase_orden = "'Oro\\Bundle\\OrderBundle\\Entity\\Order'" -%}
{#- every key read from result: json_leer parses it once -#}
{%- set claves = [
    'row.includingTax', 'total.includingTax', 'row.excludingTax', 'total.excludingTax',
    'row.taxAmount', 'total.taxAmount', 'shipping.taxAmount',
    'row.currency', 'total.currency', 'taxes.0.tax', 'taxes.0.rate',
] -%}

with

oro_tax_value as (

    select * from {{ source('orocommerce', 'oro_tax_value') }}
    -- an incremental build reads only the load packages it does not hold yet
    where {{ cargas_nuevas(is_incremental()) }}

),

leido as (

    select
        *,
        {{ json_leer('result', claves) }} as _resultado
    from oro_tax_value

),

renombrado as (

    select
        cast(id as integer) as valor_impuesto_id,
        cast(entity_class as varchar) as entidad_clase,
        cast(entity_id as integer) as entidad_id,
        case when entity_class = {{ clase_orden }} then cast(entity_id as integer) end as orden_id,
        case when entity_class = {{ clase_linea }} then cast(entity_id as integer) end as linea_orden_id,
        {{ importe_impuesto_oro('_resultado', claves, 'includingTax') }} as monto_con_impuesto,
        {{ importe_impuesto_oro('_resultado', claves, 'excludingTax') }} as monto_sin_impuesto,
        {{ importe_impuesto_oro('_resultado', claves, 'taxAmount') }} as monto_impuesto,
        {{ try_cast_text(json_campo('_resultado', claves, 'shipping.taxAmount'), 'decimal(19, 4)') }}
            as monto_impuesto_envio,
        upper(coalesce(
            {{ json_campo('_resultado', claves, 'row.currency') }},
            {{ json_campo('_resultado', claves, 'total.currency') }}
        )) as moneda,
        {{ json_campo('_resultado', claves, 'taxes.0.tax') }} as codigo_impuesto,
        {{ try_cast_text(json_campo('_resultado', claves, 'taxes.0.rate'), 'decimal(9, 6)') }} as tasa_impuesto,
        cast(address as varchar) as direccion,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from leido

),

-- one row per valor_impuesto_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'valor_impuesto_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
