{#-
    fact_ventas (POS lines, channel tienda) against its sources:
      - the staged ticket lines: loaded + rejected = staged (rows), and the
        gross and discount amounts add up;
      - the raw file: raw lines = loaded + rejected (also the lines never
        staged: malformed, bad values, repeated ticket lines; all in
        stg_csv__rechazos).
    Fails with one row holding the counts and totals when they differ.
-#}
{{ config(tags=['reconciliacion']) }}

with

lineas_crudas as (

    select * from {{ source('csv', 'transacciones_tienda') }}

),

lineas_origen as (

    select
        count(*) as filas,
        coalesce(sum(precio_unitario * cantidad), 0) as monto_bruto,
        -- a return gives its discount back (negative in the fact)
        coalesce(sum(case when es_devolucion then -monto_descuento else monto_descuento end), 0)
            as monto_descuento
    from {{ ref('stg_csv__transacciones_tienda') }}

),

lineas_hecho as (

    select
        count(*) as filas,
        coalesce(sum(monto_bruto), 0) as monto_bruto,
        coalesce(sum(monto_descuento), 0) as monto_descuento
    from {{ ref('fact_ventas') }}
    where origen = 'tienda'

),

rechazos as (

    select
        count(case when etapa = 'hecho' then 1 end) as filas_hecho,
        count(case when etapa = 'duplicado' then 1 end) as filas_repetidas,
        count(*) as filas_total,
        coalesce(sum(monto), 0) as monto_bruto
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_ventas' and origen = 'tienda'

),

descuento_rechazado as (

    select coalesce(sum(monto_descuento), 0) as monto_descuento
    from {{ ref('int_fact_ventas_tienda') }}
    where motivo_rechazo is not null

),

crudas_total as (

    select count(*) as filas
    from lineas_crudas

)

select
    lineas_origen.filas as filas_origen,
    lineas_hecho.filas as filas_hecho,
    rechazos.filas_hecho as filas_rechazadas,
    crudas_total.filas as filas_crudas,
    rechazos.filas_total as filas_rechazadas_con_malformadas,
    rechazos.filas_repetidas,
    lineas_origen.monto_bruto as monto_bruto_origen,
    lineas_hecho.monto_bruto as monto_bruto_hecho,
    rechazos.monto_bruto as monto_bruto_rechazado
from lineas_origen
cross join lineas_hecho
cross join rechazos
cross join descuento_rechazado
cross join crudas_total
where
    lineas_origen.filas != lineas_hecho.filas + rechazos.filas_hecho
    or crudas_total.filas != lineas_hecho.filas + rechazos.filas_total
    or abs(lineas_origen.monto_bruto - lineas_hecho.monto_bruto - rechazos.monto_bruto) > 0.01
    or abs(
        lineas_origen.monto_descuento - lineas_hecho.monto_descuento - descuento_rechazado.monto_descuento
    ) > 0.01
