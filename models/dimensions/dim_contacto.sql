{#-
    dim_contacto: one row per OroCRM contact (business key contacto_id =
    orocrm_contact.id as text): name, gender, job title, email (through
    mask_pii: masked when var mask_pii is true; OroCRM keeps phones in a
    table the warehouse does not load, so there is no phone), its account
    (the lowest account id it is linked to), source and contact method
    codes and the assigned user (empleado_id). Plus inferred members for
    contacts the opportunities point to and orocrm_contact lacks, and the
    unknown member.
-#}

with

contactos as (

    select * from {{ ref('stg_orocrm__contacts') }}

),

cuentas_contactos as (

    select * from {{ ref('stg_orocrm__account_contacts') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

cuenta_por_contacto as (

    select
        contacto_id,
        min(cuenta_id) as cuenta_id
    from cuentas_contactos
    group by contacto_id

),

miembros as (

    select
        cast(contactos.contacto_id as {{ dbt.type_string() }}) as contacto_id,
        cast(coalesce(contactos.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(contactos.apellido, 'N/D') as {{ dbt.type_string() }}) as apellido,
        cast(
            coalesce(
                nullif(trim(coalesce(contactos.nombre, '') || ' ' || coalesce(contactos.apellido, '')), ''),
                'N/D'
            ) as {{ dbt.type_string() }}
        ) as nombre_completo,
        cast(coalesce(contactos.genero, 'N/D') as {{ dbt.type_string() }}) as genero,
        cast(coalesce(contactos.cargo, 'N/D') as {{ dbt.type_string() }}) as cargo,
        cast(coalesce({{ mask_pii('contactos.email') }}, 'N/D') as {{ dbt.type_string() }}) as email,
        cast(coalesce(
            cast(cuenta_por_contacto.cuenta_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as cuenta_id,
        cast(coalesce(contactos.origen_codigo, 'N/D') as {{ dbt.type_string() }}) as origen_codigo,
        cast(coalesce(contactos.metodo_contacto_codigo, 'N/D') as {{ dbt.type_string() }}) as metodo_contacto_codigo,
        cast(coalesce(
            cast(contactos.usuario_asignado_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as empleado_id,
        false as es_inferido
    from contactos
    left join cuenta_por_contacto
        on contactos.contacto_id = cuenta_por_contacto.contacto_id

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as contacto_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as genero,
        cast('N/D' as {{ dbt.type_string() }}) as cargo,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as cuenta_id,
        cast('N/D' as {{ dbt.type_string() }}) as origen_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as metodo_contacto_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as empleado_id,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.contacto_id
    where
        claves_referenciadas.dimension = 'contacto'
        and miembros.contacto_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as contacto_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as genero,
        cast('N/D' as {{ dbt.type_string() }}) as cargo,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as cuenta_id,
        cast('N/D' as {{ dbt.type_string() }}) as origen_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as metodo_contacto_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as empleado_id,
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
        {{ surrogate_key(['contacto_id']) }} as contacto_key,
        contacto_id,
        nombre,
        apellido,
        nombre_completo,
        genero,
        cargo,
        email,
        cuenta_id,
        origen_codigo,
        metodo_contacto_codigo,
        empleado_id,
        es_inferido
    from unidos

)

select * from final
