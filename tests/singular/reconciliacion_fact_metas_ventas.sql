{#-
    fact_metas_ventas against the staged targets: loaded + rejected =
    staged (rows), and the target amounts add up. Fails with one row
    holding both sides when they differ.
-#}
{{ config(tags=['reconciliacion']) }}

with

origen as (

    select
        count(*) as filas,
        coalesce(sum(monto_meta), 0) as monto_meta
    from {{ ref('stg_csv__metas_ventas') }}

),

hecho as (

    select
        count(*) as filas,
        coalesce(sum(monto_meta), 0) as monto_meta
    from {{ ref('fact_metas_ventas') }}

),

rechazados as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto_meta
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_metas_ventas' and etapa = 'hecho'

)

select
    origen.filas as filas_origen,
    hecho.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.monto_meta as monto_origen,
    hecho.monto_meta as monto_hecho
from origen
cross join hecho
cross join rechazados
where
    origen.filas != hecho.filas + rechazados.filas
    or abs(origen.monto_meta - hecho.monto_meta - rechazados.monto_meta) > 0.01
