{#-
    dim_cuenta: one row per OroCRM account (business key cuenta_id =
    orocrm_account.id as text): its owner (empleado_id, dim_empleado's
    business key), default contact, referring account, the B2B customer
    record of the account (name, employees, channel mapped to dim_canal
    through int_dim_canal__orocrm) and its number of contacts. Plus
    inferred members for accounts the opportunities' customer associations
    point to and orocrm_account lacks, and the unknown member.
-#}

with

cuentas as (

    select * from {{ ref('stg_orocrm__accounts') }}

),

clientes_b2b as (

    select * from {{ ref('stg_orocrm__b2b_customers') }}

),

cuentas_contactos as (

    select * from {{ ref('stg_orocrm__account_contacts') }}

),

canales_crm as (

    select * from {{ ref('int_dim_canal__orocrm') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

-- one B2B customer per account: the oldest
cliente_b2b_por_cuenta as (

    {{ deduplicate('clientes_b2b', 'cuenta_id', 'created_at asc, cliente_b2b_id asc') }}

),

contactos_por_cuenta as (

    select
        cuenta_id,
        count(*) as cantidad_contactos
    from cuentas_contactos
    group by cuenta_id

),

miembros as (

    select
        cast(cuentas.cuenta_id as {{ dbt.type_string() }}) as cuenta_id,
        cast(coalesce(cuentas.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(
            cast(cuentas.usuario_propietario_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as empleado_id,
        cast(coalesce(
            cast(cuentas.contacto_predeterminado_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as contacto_predeterminado_id,
        cast(coalesce(
            cast(cuentas.cuenta_referente_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as cuenta_referente_id,
        cast(coalesce(cliente_b2b_por_cuenta.nombre, 'N/D') as {{ dbt.type_string() }}) as cliente_b2b_nombre,
        cast(cliente_b2b_por_cuenta.cantidad_empleados as integer) as cantidad_empleados,
        cast(coalesce(canales_crm.canal_id, 'N/D') as {{ dbt.type_string() }}) as canal_id,
        cast(coalesce(contactos_por_cuenta.cantidad_contactos, 0) as integer) as cantidad_contactos,
        cast(cuentas.created_at as date) as fecha_creacion,
        false as es_inferido
    from cuentas
    left join cliente_b2b_por_cuenta
        on cuentas.cuenta_id = cliente_b2b_por_cuenta.cuenta_id
    left join canales_crm
        on cliente_b2b_por_cuenta.canal_id = canales_crm.crm_canal_id
    left join contactos_por_cuenta
        on cuentas.cuenta_id = contactos_por_cuenta.cuenta_id

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as cuenta_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as empleado_id,
        cast('N/D' as {{ dbt.type_string() }}) as contacto_predeterminado_id,
        cast('N/D' as {{ dbt.type_string() }}) as cuenta_referente_id,
        cast('N/D' as {{ dbt.type_string() }}) as cliente_b2b_nombre,
        cast(null as integer) as cantidad_empleados,
        cast('N/D' as {{ dbt.type_string() }}) as canal_id,
        cast(0 as integer) as cantidad_contactos,
        cast(null as date) as fecha_creacion,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.cuenta_id
    where
        claves_referenciadas.dimension = 'cuenta'
        and miembros.cuenta_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as cuenta_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as empleado_id,
        cast('N/D' as {{ dbt.type_string() }}) as contacto_predeterminado_id,
        cast('N/D' as {{ dbt.type_string() }}) as cuenta_referente_id,
        cast('N/D' as {{ dbt.type_string() }}) as cliente_b2b_nombre,
        cast(null as integer) as cantidad_empleados,
        cast('N/D' as {{ dbt.type_string() }}) as canal_id,
        cast(0 as integer) as cantidad_contactos,
        cast(null as date) as fecha_creacion,
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
        {{ surrogate_key(['cuenta_id']) }} as cuenta_key,
        cuenta_id,
        nombre,
        empleado_id,
        contacto_predeterminado_id,
        cuenta_referente_id,
        cliente_b2b_nombre,
        cantidad_empleados,
        canal_id,
        cantidad_contactos,
        fecha_creacion,
        es_inferido
    from unidos

)

select * from final
