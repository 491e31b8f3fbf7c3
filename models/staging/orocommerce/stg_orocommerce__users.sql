{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_user as (

    select * from {{ source('orocommerce', 'oro_user') }}

),

renombrado as (

    select
        cast(id as integer) as usuario_id,
        cast(username as varchar) as nombre_usuario,
        cast(email as varchar) as email,
        cast(first_name as varchar) as nombre,
        cast(last_name as varchar) as apellido,
        cast(phone as varchar) as telefono,
        cast(title as varchar) as cargo,
        cast(enabled as boolean) as es_activo,
        cast(business_unit_owner_id as integer) as unidad_negocio_id,
        cast(organization_id as integer) as organizacion_id,
        {{ oro_enum_code('serialized_data', 'auth_status') }} as estado_autenticacion,
        {{ populate_default_date('created_at', cargado_at, 'cast(createdat as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updatedat as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_user

),

-- one row per usuario_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'usuario_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
