{#-
    dim_usuario_cliente: one row per Oro customer user, the person who
    buys on the storefront (business key usuario_cliente_id =
    oro_customer_user.id as text): its customer (cliente_id, the business
    key of dim_cliente) and website, name, status flags. email and
    nombre_usuario (Oro's username is the email) go through mask_pii:
    masked when var mask_pii is true. Oro keeps customer users' phones only
    on addresses, so there is no phone. Plus inferred members for buyer ids
    of orders and payments that oro_customer_user lacks, and the unknown
    member.
-#}

with

usuarios_cliente as (

    select * from {{ ref('stg_orocommerce__customer_users') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

miembros as (

    select
        cast(usuario_cliente_id as {{ dbt.type_string() }}) as usuario_cliente_id,
        cast(coalesce({{ mask_pii('nombre_usuario') }}, 'N/D') as {{ dbt.type_string() }}) as nombre_usuario,
        cast(coalesce({{ mask_pii('email') }}, 'N/D') as {{ dbt.type_string() }}) as email,
        cast(coalesce(nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(apellido, 'N/D') as {{ dbt.type_string() }}) as apellido,
        cast(
            coalesce(nullif(trim(coalesce(nombre, '') || ' ' || coalesce(apellido, '')), ''), 'N/D')
            as {{ dbt.type_string() }}
        ) as nombre_completo,
        cast(coalesce(
            cast(cliente_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as cliente_id,
        cast(coalesce(
            cast(sitio_web_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as sitio_web_id,
        coalesce(es_activo, false) as es_activo,
        coalesce(es_confirmado, false) as es_confirmado,
        coalesce(es_invitado, false) as es_invitado,
        cast(coalesce(estado_autenticacion, 'N/D') as {{ dbt.type_string() }}) as estado_autenticacion,
        cast(created_at as date) as fecha_registro,
        false as es_inferido
    from usuarios_cliente

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as usuario_cliente_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_usuario,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as cliente_id,
        cast('N/D' as {{ dbt.type_string() }}) as sitio_web_id,
        false as es_activo,
        false as es_confirmado,
        false as es_invitado,
        cast('N/D' as {{ dbt.type_string() }}) as estado_autenticacion,
        cast(null as date) as fecha_registro,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.usuario_cliente_id
    where
        claves_referenciadas.dimension = 'usuario_cliente'
        and miembros.usuario_cliente_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as usuario_cliente_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_usuario,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as cliente_id,
        cast('N/D' as {{ dbt.type_string() }}) as sitio_web_id,
        false as es_activo,
        false as es_confirmado,
        false as es_invitado,
        cast('N/D' as {{ dbt.type_string() }}) as estado_autenticacion,
        cast(null as date) as fecha_registro,
        false as es_inferido

),

unidos as (

    select * from miembros
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['usuario_cliente_id']) }} as usuario_cliente_key,
        usuario_cliente_id,
        nombre_usuario,
        email,
        nombre,
        apellido,
        nombre_completo,
        cliente_id,
        sitio_web_id,
        es_activo,
        es_confirmado,
        es_invitado,
        estado_autenticacion,
        fecha_registro,
        es_inferido
    from unidos

)

select * from final
