{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

orocrm_channel as (

    select * from {{ source('orocrm', 'orocrm_channel') }}

),

renombrado as (

    select
        cast(id as integer) as canal_id,
        cast(name as varchar) as nombre,
        cast(channel_type as varchar) as tipo_canal,
        cast(status as boolean) as es_activo,
        cast(customer_identity as varchar) as identidad_cliente,
        cast(organization_owner_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(createdat as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updatedat as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_channel

),

-- one row per canal_id: the latest load
final as (

    {{ deduplicate('renombrado', 'canal_id', '_cargado_at desc nulls last') }}

)

select * from final
