{#-
    audit_conversiones: how many values did not convert to their type
    (text that is not a number, a date..., now null), per staging model and
    column (from the `<column>__invalido` flags set by is_invalid_cast).
    List every staging model with such flags here: a flagged model missing
    from the list stops the build. POS lines, exchange rates and sales
    targets are counted in their base_csv__ models (every raw line): a value
    that does not convert rejects the line there, so their staged models no
    longer carry the flags.
-#}
{%- set modelos = [
    'stg_csv__estados_orden',
    'base_csv__metas_ventas',
    'stg_csv__productos_erp',
    'base_csv__tipos_cambio',
    'base_csv__transacciones_tienda',
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
