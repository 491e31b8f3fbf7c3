{#-
    fact_pagos against the staged payment transactions: loaded + rejected
    = staged (rows), and the amounts add up (a rejected transaction has no
    valid amount). Fails with one row holding both sides when they differ.
-#}
{{ config(tags=['reconciliacion']) }}

with

origen as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto
    from {{ ref('stg_orocommerce__payment_transactions') }}

),

hecho as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto
    from {{ ref('fact_pagos') }}

),

rechazados as (

    select
        count(*) as filas,
        coalesce(sum(monto), 0) as monto
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_pagos'

)

select
    origen.filas as filas_origen,
    hecho.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.monto as monto_origen,
    hecho.monto as monto_hecho
from origen
cross join hecho
cross join rechazados
where
    origen.filas != hecho.filas + rechazados.filas
    or abs(origen.monto - hecho.monto - rechazados.monto) > 0.01
