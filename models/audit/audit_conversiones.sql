{#-
    audit_conversiones: how many values did not convert to their type
    (text that is not a number, a date..., now null), per staging model and
    column (from the `<column>__invalido` flags set by is_invalid_cast).
    List every staging model with such flags here: a flagged model missing
    from the list stops the build.
-#}
{%- set modelos = [
    'stg_csv__estados_orden',
    'stg_csv__metas_ventas',
    'stg_csv__productos_erp',
    'stg_csv__tipos_cambio',
    'stg_csv__transacciones_tienda',
    'stg_orocommerce__payment_transactions',
] -%}

with

conteos as (

    {{ audit_flag_counts(modelos, '__invalido', rule='conversion_fallida') }}

),

final as (

    select
        modelo,
        columna,
        regla,
        filas as filas_invalidas,
        filas_totales
    from conteos

)

select * from final
