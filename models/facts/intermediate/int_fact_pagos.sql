{#-
    Oro payment transactions prepared for fact_pagos: one row per
    transaction, with the business keys of its dimensions (customer,
    website and channel come from the order paid), the amount (text in Oro,
    cast in staging), the update cursor and, when it cannot be loaded, the
    reason (motivo_rechazo). A transaction of an order deleted from Oro
    keeps its row: its order-side keys are null (unknown members).
-#}
{%- set pasado_lejano = "cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")" -%}

with

transacciones as (

    select * from {{ ref('stg_orocommerce__payment_transactions') }}

),

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

final as (

    select
        cast(transacciones.transaccion_pago_id as {{ dbt.type_string() }}) as pago_id,
        transacciones.referencia,
        ordenes.numero_orden as numero_documento,
        transacciones.created_at as registrado_at,
        {{ fecha_local('transacciones.created_at') }} as fecha_pago,
        cast(ordenes.cliente_id as {{ dbt.type_string() }}) as cliente_id,
        transacciones.metodo_pago as metodo_pago_codigo,
        transacciones.moneda,
        cast(ordenes.sitio_web_id as {{ dbt.type_string() }}) as sitio_web_id,
        case
            when ordenes.orden_id is not null then {{ canal_de_orden('ordenes.origen_entidad_clase') }}
        end as canal_codigo,
        transacciones.accion,
        transacciones.monto,
        coalesce(transacciones.es_exitosa, false) as es_exitoso,
        coalesce(transacciones.es_activa, false) as es_activo,
        greatest(
            transacciones.updated_at,
            coalesce(ordenes.updated_at, {{ pasado_lejano }})
        ) as actualizado_at,
        greatest(
            transacciones._cargado_at,
            coalesce(ordenes._cargado_at, {{ pasado_lejano }})
        ) as cargado_at,
        case
            when transacciones.monto is null then 'monto_invalido'
        end as motivo_rechazo
    from transacciones
    left join ordenes
        on transacciones.orden_id = ordenes.orden_id

)

select * from final
