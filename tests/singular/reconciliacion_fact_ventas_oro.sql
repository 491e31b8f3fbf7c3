{#-
    fact_ventas (Oro lines) against the staged order lines: every line is
    loaded or rejected (rows), and the gross amounts add up (money).
    Fails with one row holding both sides when they differ.
-#}
{{ config(tags=['reconciliacion']) }}

with

lineas_origen as (

    select
        count(*) as filas,
        coalesce(sum(precio_unitario * cantidad), 0) as monto_bruto
    from {{ ref('stg_orocommerce__order_line_items') }}

),

lineas_hecho as (

    select
        count(*) as filas,
        coalesce(sum(monto_bruto), 0) as monto_bruto
    from {{ ref('fact_ventas') }}
    where origen = 'oro'

),

lineas_rechazadas as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto_bruto
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_ventas' and origen = 'oro'

)

select
    lineas_origen.filas as filas_origen,
    lineas_hecho.filas as filas_hecho,
    lineas_rechazadas.filas as filas_rechazadas,
    lineas_origen.monto_bruto as monto_bruto_origen,
    lineas_hecho.monto_bruto as monto_bruto_hecho,
    lineas_rechazadas.monto_bruto as monto_bruto_rechazado
from lineas_origen
cross join lineas_hecho
cross join lineas_rechazadas
where
    lineas_origen.filas != lineas_hecho.filas + lineas_rechazadas.filas
    or abs(lineas_origen.monto_bruto - lineas_hecho.monto_bruto - lineas_rechazadas.monto_bruto) > 0.01
