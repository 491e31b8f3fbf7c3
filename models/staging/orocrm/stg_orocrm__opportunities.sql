{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

orocrm_sales_opportunity as (

    select * from {{ source('orocrm', 'orocrm_sales_opportunity') }}
    -- rows deleted in the source (marked by the ingestion's deletion check) are left out
    where _deleted_at is null

),

renombrado as (

    select
        cast(id as integer) as oportunidad_id,
        cast(name as varchar) as nombre,
        cast(budget_amount_value as decimal(19, 4)) as monto_presupuesto,
        cast(budget_amount_currency as varchar) as moneda_presupuesto,
        cast(base_budget_amount_value as decimal(19, 4)) as monto_presupuesto_base,
        cast(close_revenue_value as decimal(19, 4)) as ingreso_cierre,
        cast(close_revenue_currency as varchar) as moneda_ingreso_cierre,
        cast(base_close_revenue_value as decimal(19, 4)) as ingreso_cierre_base,
        {{ populate_default(
            'moneda',
            "coalesce(nullif(trim(cast(budget_amount_currency as varchar)), ''),"
            ~ " nullif(trim(cast(close_revenue_currency as varchar)), ''))"
        ) }},
        cast(probability as double precision) as probabilidad,
        cast(close_date as date) as fecha_cierre_esperada,
        cast(closed_at as timestamp) as cerrada_at,
        cast(close_reason_name as varchar) as motivo_cierre_codigo,
        cast(customer_association_id as integer) as asociacion_cliente_id,
        cast(contact_id as integer) as contacto_id,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ oro_enum_code('serialized_data', 'status') }} as estado,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_sales_opportunity

),

-- one row per oportunidad_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'oportunidad_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
