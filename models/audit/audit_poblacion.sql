{#-
    audit_poblacion: how many values the population rules filled, per
    staging model and column (from the `<column>__poblado` flags).
    regla: valor_por_defecto (defaults), fecha_por_defecto (default_dates)
    or id_generado (generated_ids). List every staging model here: the
    flags are found in each relation, and a flagged model missing from
    the list stops the build.
-#}
{%- set modelos = [
    'stg_csv__estados_orden',
    'stg_csv__metas_ventas',
    'stg_csv__productos_erp',
    'stg_csv__sucursales',
    'stg_csv__tipos_cambio',
    'stg_csv__transacciones_tienda',
    'stg_orocommerce__applied_promotion_coupons',
    'stg_orocommerce__applied_promotion_discounts',
    'stg_orocommerce__applied_promotions',
    'stg_orocommerce__brands',
    'stg_orocommerce__business_units',
    'stg_orocommerce__categories',
    'stg_orocommerce__customer_addresses',
    'stg_orocommerce__customer_users',
    'stg_orocommerce__customers',
    'stg_orocommerce__order_addresses',
    'stg_orocommerce__order_line_items',
    'stg_orocommerce__orders',
    'stg_orocommerce__organizations',
    'stg_orocommerce__payment_statuses',
    'stg_orocommerce__payment_transactions',
    'stg_orocommerce__price_lists',
    'stg_orocommerce__product_prices',
    'stg_orocommerce__products',
    'stg_orocommerce__promotion_coupons',
    'stg_orocommerce__promotions',
    'stg_orocommerce__rules',
    'stg_orocommerce__tax_values',
    'stg_orocommerce__users',
    'stg_orocommerce__websites',
    'stg_orocrm__accounts',
    'stg_orocrm__b2b_customers',
    'stg_orocrm__channels',
    'stg_orocrm__contacts',
    'stg_orocrm__opportunities',
] -%}

with

conteos as (

    {{ audit_flag_counts(modelos, '__poblado') }}

),

final as (

    select
        modelo,
        columna,
        regla,
        filas as filas_pobladas,
        filas_totales
    from conteos

)

select * from final
