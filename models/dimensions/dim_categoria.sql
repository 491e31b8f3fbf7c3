{#-
    dim_categoria: one row per Oro catalog category (business key
    categoria_id = oro_catalog_category.id as text), the tree flattened by
    int_dim_categoria__arbol: nivel (0 = root), ruta ('All Products >
    Lighting Products > Headlamps') and the ancestors at depth 1-3
    (nivel_1..nivel_3; a category shallower than the level repeats its own
    name, so every column groups cleanly; the root repeats its name).
    Plus inferred members for category ids the products use that the
    catalog lacks, and the unknown member.
-#}

with

categorias as (

    select * from {{ ref('stg_orocommerce__categories') }}

),

arbol as (

    select * from {{ ref('int_dim_categoria__arbol') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

miembros as (

    select
        cast(categorias.categoria_id as {{ dbt.type_string() }}) as categoria_id,
        cast(coalesce(categorias.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(
            cast(categorias.categoria_padre_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as categoria_padre_id,
        arbol.nivel,
        cast(coalesce(arbol.ruta, categorias.nombre, 'N/D') as {{ dbt.type_string() }}) as ruta,
        cast(
            coalesce(arbol.nivel_1, categorias.nombre, 'N/D') as {{ dbt.type_string() }}
        ) as nivel_1,
        cast(
            coalesce(arbol.nivel_2, arbol.nivel_1, categorias.nombre, 'N/D') as {{ dbt.type_string() }}
        ) as nivel_2,
        cast(
            coalesce(arbol.nivel_3, arbol.nivel_2, arbol.nivel_1, categorias.nombre, 'N/D')
            as {{ dbt.type_string() }}
        ) as nivel_3,
        not exists (
            select 1
            from categorias as hijas
            where hijas.categoria_padre_id = categorias.categoria_id
        ) as es_hoja,
        false as es_inferido
    from categorias
    left join arbol
        on categorias.categoria_id = arbol.categoria_id

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as categoria_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as categoria_padre_id,
        cast(null as integer) as nivel,
        cast('N/D' as {{ dbt.type_string() }}) as ruta,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_1,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_2,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_3,
        true as es_hoja,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.categoria_id
    where
        claves_referenciadas.dimension = 'categoria'
        and miembros.categoria_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as categoria_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as categoria_padre_id,
        cast(null as integer) as nivel,
        cast('N/D' as {{ dbt.type_string() }}) as ruta,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_1,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_2,
        cast('N/D' as {{ dbt.type_string() }}) as nivel_3,
        true as es_hoja,
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
        {{ surrogate_key(['categoria_id']) }} as categoria_key,
        categoria_id,
        nombre,
        categoria_padre_id,
        cast(nivel as integer) as nivel,
        ruta,
        nivel_1,
        nivel_2,
        nivel_3,
        es_hoja,
        es_inferido
    from unidos

)

select * from final
