{#-
    fact_pagos against the staged payment transactions: loaded + rejected
    = staged (rows), and the amounts add up (a rejected transaction has no
    valid amount). Fails with one row holding both sides when they differ.
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
    from {{ source('orocommerce', 'oro_payment_transaction') }}

),

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
    crudos.filas as filas_crudas,
    crudos.filas_eliminadas,
    origen.filas as filas_origen,
    hecho.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.monto as monto_origen,
    hecho.monto as monto_hecho
from origen
cross join crudos
cross join hecho
cross join rechazados
where
    crudos.filas != origen.filas + crudos.filas_eliminadas
    or origen.filas != hecho.filas + rechazados.filas
    or abs(origen.monto - hecho.monto - rechazados.monto) > 0.01
