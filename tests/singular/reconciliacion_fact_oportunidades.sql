{#-
    fact_oportunidades against the staged opportunities: loaded + rejected
    = staged (rows), and budgets and close revenues add up. Fails with one
    row holding both sides when they differ.
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
    from {{ source('orocrm', 'orocrm_sales_opportunity') }}

),

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
    crudos.filas as filas_crudas,
    crudos.filas_eliminadas,
    origen.filas as filas_origen,
    hecho.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.monto_presupuesto as presupuesto_origen,
    hecho.monto_presupuesto as presupuesto_hecho,
    origen.ingreso_cierre as ingreso_origen,
    hecho.ingreso_cierre as ingreso_hecho
from origen
cross join crudos
cross join hecho
cross join rechazados
cross join ingreso_rechazado
where
    crudos.filas != origen.filas + crudos.filas_eliminadas
    or origen.filas != hecho.filas + rechazados.filas
    or abs(origen.monto_presupuesto - hecho.monto_presupuesto - rechazados.monto_presupuesto) > 0.01
    or abs(origen.ingreso_cierre - hecho.ingreso_cierre - ingreso_rechazado.ingreso_cierre) > 0.01
