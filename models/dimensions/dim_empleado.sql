{#-
    dim_empleado: one row per Oro back-office user (sales rep, record
    owner; business key empleado_id = oro_user.id as text) with its
    business unit and the unit's parent. Plus inferred members for user ids
    that orders, payments or opportunities carry and oro_user lacks
    ('AUTO_<id>'), for target holders of metas_ventas.csv whose email
    matches no user ('AUTO_<email>'), and the unknown member. email is the
    work address in lower case, the key the sales targets name employees
    by: it is not masked by var mask_pii (a masked value could not be
    matched; mask_pii covers customers' and contacts' personal data).
-#}

with

usuarios as (

    select * from {{ ref('stg_orocommerce__users') }}

),

unidades_negocio as (

    select * from {{ ref('stg_orocommerce__business_units') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

empleados as (

    select
        cast(usuarios.usuario_id as {{ dbt.type_string() }}) as empleado_id,
        cast(coalesce(usuarios.nombre_usuario, 'N/D') as {{ dbt.type_string() }}) as nombre_usuario,
        lower(trim(usuarios.email)) as email_original,
        cast(coalesce(usuarios.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(usuarios.apellido, 'N/D') as {{ dbt.type_string() }}) as apellido,
        cast(
            coalesce(
                nullif(trim(coalesce(usuarios.nombre, '') || ' ' || coalesce(usuarios.apellido, '')), ''),
                usuarios.nombre_usuario,
                'N/D'
            ) as {{ dbt.type_string() }}
        ) as nombre_completo,
        cast(coalesce(usuarios.cargo, 'N/D') as {{ dbt.type_string() }}) as cargo,
        coalesce(usuarios.es_activo, false) as es_activo,
        cast(coalesce(
            cast(usuarios.unidad_negocio_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as unidad_negocio_id,
        cast(coalesce(unidades_negocio.nombre, 'N/D') as {{ dbt.type_string() }}) as unidad_negocio,
        cast(coalesce(unidades_padre.nombre, 'N/D') as {{ dbt.type_string() }}) as unidad_negocio_padre
    from usuarios
    left join unidades_negocio
        on usuarios.unidad_negocio_id = unidades_negocio.unidad_negocio_id
    left join unidades_negocio as unidades_padre
        on unidades_negocio.unidad_negocio_padre_id = unidades_padre.unidad_negocio_id

),

miembros as (

    select
        empleado_id,
        nombre_usuario,
        cast(coalesce(email_original, 'N/D') as {{ dbt.type_string() }}) as email,
        nombre,
        apellido,
        nombre_completo,
        cargo,
        es_activo,
        unidad_negocio_id,
        unidad_negocio,
        unidad_negocio_padre,
        false as es_inferido
    from empleados

),

claves_inferidas as (

    select claves_referenciadas.clave
    from claves_referenciadas
    left join empleados
        on claves_referenciadas.clave = empleados.empleado_id
    where
        claves_referenciadas.dimension = 'empleado'
        and claves_referenciadas.tipo_clave = 'id'
        and empleados.empleado_id is null

    union all

    select lower(trim(claves_referenciadas.clave)) as clave
    from claves_referenciadas
    left join empleados
        on lower(trim(claves_referenciadas.clave)) = empleados.email_original
    where
        claves_referenciadas.dimension = 'empleado'
        and claves_referenciadas.tipo_clave = 'email'
        and empleados.empleado_id is null

),

inferidos as (

    select distinct
        cast({{ generated_id('clave') }} as {{ dbt.type_string() }}) as empleado_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_usuario,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as cargo,
        false as es_activo,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio_id,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio_padre,
        true as es_inferido
    from claves_inferidas

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as empleado_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_usuario,
        cast('N/D' as {{ dbt.type_string() }}) as email,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as apellido,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_completo,
        cast('N/D' as {{ dbt.type_string() }}) as cargo,
        false as es_activo,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio_id,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio_padre,
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
        {{ surrogate_key(['empleado_id']) }} as empleado_key,
        empleado_id,
        nombre_usuario,
        email,
        nombre,
        apellido,
        nombre_completo,
        cargo,
        es_activo,
        unidad_negocio_id,
        unidad_negocio,
        unidad_negocio_padre,
        es_inferido
    from unidos

)

select * from final
