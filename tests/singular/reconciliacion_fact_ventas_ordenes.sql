{#-
    fact_ventas (Oro lines) against the order headers: for every order with
    loaded lines and none rejected, the gross amounts of its lines add up to
    the order's subtotal, and their discounts to the order's total discounts
    minus its shipping-promotion discounts (which discount shipping, not
    lines). Fails with one row per order that does not add up.
-#}
{{ config(tags=['reconciliacion']) }}

with

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

promociones_aplicadas as (

    select * from {{ ref('stg_orocommerce__applied_promotions') }}

),

descuentos_aplicados as (

    select * from {{ ref('stg_orocommerce__applied_promotion_discounts') }}

),

ventas as (

    select * from {{ ref('fact_ventas') }}

),

rechazos as (

    select * from {{ ref('int_fact_rechazos') }}

),

lineas_rechazadas as (

    select * from {{ ref('int_fact_ventas_oro') }}

),

ordenes_con_rechazos as (

    select distinct lineas_rechazadas.numero_documento
    from lineas_rechazadas
    inner join rechazos
        on
            rechazos.hecho = 'fact_ventas'
            and lineas_rechazadas.venta_id = rechazos.registro_id
    where lineas_rechazadas.numero_documento is not null

),

descuentos_envio as (

    select
        promociones_aplicadas.orden_id,
        sum(descuentos_aplicados.monto) as monto
    from descuentos_aplicados
    inner join promociones_aplicadas
        on descuentos_aplicados.promocion_aplicada_id = promociones_aplicadas.promocion_aplicada_id
    where
        promociones_aplicadas.tipo = 'shipping'
        and promociones_aplicadas.es_activa
        and not coalesce(promociones_aplicadas.es_eliminada, false)
    group by promociones_aplicadas.orden_id

),

ventas_por_orden as (

    select
        numero_documento,
        sum(monto_bruto) as monto_bruto,
        sum(monto_descuento) as monto_descuento
    from ventas
    where origen = 'oro'
    group by numero_documento

),

comparacion as (

    select
        ordenes.numero_orden,
        ordenes.subtotal,
        ventas_por_orden.monto_bruto,
        ventas_por_orden.monto_descuento,
        coalesce(ordenes.total_descuentos, 0) - coalesce(descuentos_envio.monto, 0) as descuento_orden
    from ventas_por_orden
    inner join ordenes
        on ventas_por_orden.numero_documento = ordenes.numero_orden
    left join descuentos_envio
        on ordenes.orden_id = descuentos_envio.orden_id
    left join ordenes_con_rechazos
        on ventas_por_orden.numero_documento = ordenes_con_rechazos.numero_documento
    where ordenes_con_rechazos.numero_documento is null

)

select *
from comparacion
where
    abs(coalesce(subtotal, 0) - monto_bruto) > 0.01
    or abs(descuento_orden - monto_descuento) > 0.01
