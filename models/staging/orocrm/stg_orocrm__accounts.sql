{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

orocrm_account as (

    select * from {{ source('orocrm', 'orocrm_account') }}

),

renombrado as (

    select
        cast(id as integer) as cuenta_id,
        cast(name as varchar) as nombre,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        cast(default_contact_id as integer) as contacto_predeterminado_id,
        cast(referred_by_id as integer) as cuenta_referente_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(createdat as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updatedat as timestamp)') }},
        cast(external_id as varchar) as externo_id,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_account

),

-- one row per cuenta_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'cuenta_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
