{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

orocrm_contact as (

    select * from {{ source('orocrm', 'orocrm_contact') }}

),

renombrado as (

    select
        cast(id as integer) as contacto_id,
        cast(first_name as varchar) as nombre,
        cast(last_name as varchar) as apellido,
        cast(gender as varchar) as genero,
        cast(birthday as date) as fecha_nacimiento,
        cast(job_title as varchar) as cargo,
        cast(email as varchar) as email,
        cast(source_name as varchar) as origen_codigo,
        cast(method_name as varchar) as metodo_contacto_codigo,
        cast(assigned_to_user_id as integer) as usuario_asignado_id,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(createdat as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updatedat as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_contact

),

-- one row per contacto_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'contacto_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
