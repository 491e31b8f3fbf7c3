{#-
    fact_oportunidades against the staged opportunities: loaded + rejected
    = staged (rows), and budgets and close revenues add up. Fails with one
    row holding both sides when they differ.
-#}
{{ config(tags=['reconciliacion']) }}

with

origen as (

    select
        count(*) as filas,
        coalesce(sum(monto_presupuesto), 0) as monto_presupuesto,
        coalesce(sum(ingreso_cierre), 0) as ingreso_cierre
    from {{ ref('stg_orocrm__opportunities') }}

),

hecho as (

    select
        count(*) as filas,
        coalesce(sum(monto_presupuesto), 0) as monto_presupuesto,
        coalesce(sum(ingreso_cierre), 0) as ingreso_cierre
    from {{ ref('fact_oportunidades') }}

),

rechazados as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto_presupuesto
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_oportunidades'

),

ingreso_rechazado as (

    select coalesce(sum(ingreso_cierre), 0) as ingreso_cierre
    from {{ ref('int_fact_oportunidades') }}
    where motivo_rechazo is not null

)

select
    origen.filas as filas_origen,
    hecho.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.monto_presupuesto as presupuesto_origen,
    hecho.monto_presupuesto as presupuesto_hecho,
    origen.ingreso_cierre as ingreso_origen,
    hecho.ingreso_cierre as ingreso_hecho
from origen
cross join hecho
cross join rechazados
cross join ingreso_rechazado
where
    origen.filas != hecho.filas + rechazados.filas
    or abs(origen.monto_presupuesto - hecho.monto_presupuesto - rechazados.monto_presupuesto) > 0.01
    or abs(origen.ingreso_cierre - hecho.ingreso_cierre - ingreso_rechazado.ingreso_cierre) > 0.01
