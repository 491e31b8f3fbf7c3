{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_customer_user as (

    select * from {{ source('orocommerce', 'oro_customer_user') }}

),

renombrado as (

    select
        cast(id as integer) as usuario_cliente_id,
        cast(customer_id as integer) as cliente_id,
        cast(website_id as integer) as sitio_web_id,
        cast(owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        cast(username as varchar) as nombre_usuario,
        cast(email as varchar) as email,
        cast(email_lowercase as varchar) as email_normalizado,
        cast(first_name as varchar) as nombre,
        cast(last_name as varchar) as apellido,
        cast(birthday as date) as fecha_nacimiento,
        cast(enabled as boolean) as es_activo,
        cast(confirmed as boolean) as es_confirmado,
        cast(is_guest as boolean) as es_invitado,
        cast(last_login as timestamp) as ultimo_login_at,
        cast(login_count as integer) as cantidad_logins,
        {{ oro_enum_code('serialized_data', 'auth_status') }} as estado_autenticacion,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_customer_user

),

-- one row per usuario_cliente_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'usuario_cliente_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
