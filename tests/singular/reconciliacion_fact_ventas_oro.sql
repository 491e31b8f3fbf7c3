{#-
    fact_ventas (Oro lines) against the staged order lines: every line is
    loaded or rejected (rows), and the gross amounts add up (money).
    Fails with one row holding both sides when they differ.
    Raw rows = staged + deleted in the source (raw rows marked
    `_deleted_at` by the ingestion's deletion check, which staging and the
    fact leave out).
-#}
{{ config(tags=['reconciliacion']) }}

with

crudos as (

    select
        count(*) as filas,
        count(_deleted_at) as filas_eliminadas
    from {{ source('orocommerce', 'oro_order_line_item') }}

),

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
    crudos.filas as filas_crudas,
    crudos.filas_eliminadas,
    lineas_origen.filas as filas_origen,
    lineas_hecho.filas as filas_hecho,
    lineas_rechazadas.filas as filas_rechazadas,
    lineas_origen.monto_bruto as monto_bruto_origen,
    lineas_hecho.monto_bruto as monto_bruto_hecho,
    lineas_rechazadas.monto_bruto as monto_bruto_rechazado
from lineas_origen
cross join crudos
cross join lineas_hecho
cross join lineas_rechazadas
where
    crudos.filas != lineas_origen.filas + crudos.filas_eliminadas
    or lineas_origen.filas != lineas_hecho.filas + lineas_rechazadas.filas
    or abs(lineas_origen.monto_bruto - lineas_hecho.monto_bruto - lineas_rechazadas.monto_bruto) > 0.01
