{#-
    dim_sitio_web: one row per Oro website (storefront; business key
    sitio_web_id = oro_website.id as text), with its organization and
    owning business unit. Plus inferred members for website ids the orders
    use that oro_website lacks, and the unknown member.
-#}

with

sitios_web as (

    select * from {{ ref('stg_orocommerce__websites') }}

),

organizaciones as (

    select * from {{ ref('stg_orocommerce__organizations') }}

),

unidades_negocio as (

    select * from {{ ref('stg_orocommerce__business_units') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

miembros as (

    select
        cast(sitios_web.sitio_web_id as {{ dbt.type_string() }}) as sitio_web_id,
        cast(coalesce(sitios_web.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        coalesce(sitios_web.es_predeterminado, false) as es_predeterminado,
        cast(coalesce(organizaciones.nombre, 'N/D') as {{ dbt.type_string() }}) as organizacion,
        cast(coalesce(unidades_negocio.nombre, 'N/D') as {{ dbt.type_string() }}) as unidad_negocio,
        false as es_inferido
    from sitios_web
    left join organizaciones
        on sitios_web.organizacion_id = organizaciones.organizacion_id
    left join unidades_negocio
        on sitios_web.unidad_negocio_id = unidades_negocio.unidad_negocio_id

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as sitio_web_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        false as es_predeterminado,
        cast('N/D' as {{ dbt.type_string() }}) as organizacion,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.sitio_web_id
    where
        claves_referenciadas.dimension = 'sitio_web'
        and miembros.sitio_web_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as sitio_web_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        false as es_predeterminado,
        cast('N/D' as {{ dbt.type_string() }}) as organizacion,
        cast('N/D' as {{ dbt.type_string() }}) as unidad_negocio,
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
        {{ surrogate_key(['sitio_web_id']) }} as sitio_web_key,
        sitio_web_id,
        nombre,
        es_predeterminado,
        organizacion,
        unidad_negocio,
        es_inferido
    from unidos

)

select * from final
