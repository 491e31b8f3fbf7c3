with

orocrm_account_to_contact as (

    select * from {{ source('orocrm', 'orocrm_account_to_contact') }}

),

renombrado as (

    select
        cast(account_id as integer) as cuenta_id,
        cast(contact_id as integer) as contacto_id,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_account_to_contact

),

-- one row per (cuenta_id, contacto_id): the latest load
final as (

    {{ deduplicate('renombrado', 'cuenta_id, contacto_id', '_cargado_at desc nulls last') }}

)

select * from final
