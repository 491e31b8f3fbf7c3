{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_payment_transaction as (

    select * from {{ source('orocommerce', 'oro_payment_transaction') }}
    -- rows deleted in the source (marked by the ingestion's deletion check) are left out;
    -- an incremental build reads only the load packages it does not hold yet
    where _deleted_at is null and {{ cargas_nuevas(is_incremental()) }}

),

renombrado as (

    select
        cast(id as integer) as transaccion_pago_id,
        cast(entity_class as varchar) as entidad_clase,
        cast(entity_identifier as integer) as entidad_id,
        case
            when entity_class = 'Oro\Bundle\OrderBundle\Entity\Order'
                then cast(entity_identifier as integer)
        end as orden_id,
        cast(payment_method as varchar) as metodo_pago,
        cast(action as varchar) as accion,
        cast(reference as varchar) as referencia,
        {{ try_cast_text('amount', 'decimal(19, 4)') }} as monto,
        {{ is_invalid_cast('amount', 'decimal(19, 4)') }} as monto__invalido,
        {{ populate_default('moneda', "upper(nullif(trim(cast(currency as varchar)), ''))") }},
        cast(active as boolean) as es_activa,
        cast(successful as boolean) as es_exitosa,
        cast(source_payment_transaction as integer) as transaccion_origen_id,
        cast(frontend_owner_id as integer) as usuario_cliente_id,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_payment_transaction

),

-- one row per transaccion_pago_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'transaccion_pago_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
