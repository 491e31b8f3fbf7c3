{#-
    fact_ventas taxes against Oro's own order totals: for every order with
    a tax value (oro_tax_value of the order) whose lines are all loaded,
    none rejected, the tax of its lines adds up to the order's total tax
    minus the tax on shipping (shipping is not a sales line), to the cent,
    and each of those lines took its tax from Oro (origen_impuesto
    'oro_tax_value'; an order with a total but a line without a tax value
    fails here). Fails with one row per order that does not add up.
-#}
{{ config(tags=['reconciliacion']) }}

with

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

valores_impuesto as (

    select * from {{ ref('stg_orocommerce__tax_values') }}

),

ventas as (

    select * from {{ ref('fact_ventas') }}

),

lineas_oro as (

    select * from {{ ref('int_fact_ventas_oro') }}

),

impuesto_de_orden as (

    -- an order's total tax value: the latest
    select
        orden_id,
        monto_impuesto,
        monto_impuesto_envio,
        row_number() over (partition by orden_id order by updated_at desc, valor_impuesto_id desc) as orden
    from valores_impuesto
    where orden_id is not null

),

ordenes_con_rechazos as (

    select distinct numero_documento
    from lineas_oro
    where motivo_rechazo is not null and numero_documento is not null

),

ventas_por_orden as (

    select
        numero_documento,
        sum(monto_impuesto) as monto_impuesto,
        sum(case when origen_impuesto = 'oro_tax_value' then 0 else 1 end) as lineas_sin_valor_oro
    from ventas
    where origen = 'oro'
    group by numero_documento

),

comparacion as (

    select
        ordenes.numero_orden,
        ventas_por_orden.monto_impuesto as impuesto_lineas,
        ventas_por_orden.lineas_sin_valor_oro,
        impuesto_de_orden.monto_impuesto - coalesce(impuesto_de_orden.monto_impuesto_envio, 0)
            as impuesto_oro
    from impuesto_de_orden
    inner join ordenes
        on impuesto_de_orden.orden_id = ordenes.orden_id
    inner join ventas_por_orden
        on ordenes.numero_orden = ventas_por_orden.numero_documento
    left join ordenes_con_rechazos
        on ordenes.numero_orden = ordenes_con_rechazos.numero_documento
    where
        impuesto_de_orden.orden = 1
        and ordenes_con_rechazos.numero_documento is null

)

select *
from comparacion
where
    abs(coalesce(impuesto_oro, 0) - impuesto_lineas) > 0.005
    or lineas_sin_valor_oro > 0
