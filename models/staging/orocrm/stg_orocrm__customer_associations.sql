with

orocrm_sales_customer as (

    select * from {{ source('orocrm', 'orocrm_sales_customer') }}

),

renombrado as (

    select
        cast(id as integer) as asociacion_cliente_id,
        cast(account_id as integer) as cuenta_id,
        cast(b2b_customer_188b774c_id as integer) as cliente_b2b_id,
        cast(customer_e197f906_id as integer) as cliente_id,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_sales_customer

),

-- one row per asociacion_cliente_id: the latest load
final as (

    {{ deduplicate('renombrado', 'asociacion_cliente_id', '_cargado_at desc nulls last') }}

)

select * from final
