{#-
    int_dim_categoria__arbol: the Oro catalog tree flattened, one row per
    category reachable from a root (a category without parent): its depth
    (nivel, 0 at the root, computed from the parent links, not trusted from
    tree_level), its path of names from the root (ruta, joined by ' > ')
    and the names of its ancestors at depth 1, 2 and 3 (nivel_1..nivel_3;
    null when the category is shallower). Depth is capped at 50 against a
    corrupt parent loop. Categories whose parent is missing are roots.
-#}

with recursive

categorias as (

    select * from {{ ref('stg_orocommerce__categories') }}

),

raices as (

    select categorias.*
    from categorias
    left join categorias as padres
        on categorias.categoria_padre_id = padres.categoria_id
    where padres.categoria_id is null

),

arbol as (

    select
        raices.categoria_id,
        raices.categoria_padre_id,
        cast(raices.nombre as {{ dbt.type_string() }}) as nombre,
        0 as nivel,
        cast(raices.nombre as {{ dbt.type_string() }}) as ruta,
        cast(null as {{ dbt.type_string() }}) as nivel_1,
        cast(null as {{ dbt.type_string() }}) as nivel_2,
        cast(null as {{ dbt.type_string() }}) as nivel_3
    from raices

    union all

    select
        hijos.categoria_id,
        hijos.categoria_padre_id,
        cast(hijos.nombre as {{ dbt.type_string() }}) as nombre,
        arbol.nivel + 1 as nivel,
        cast(arbol.ruta || ' > ' || hijos.nombre as {{ dbt.type_string() }}) as ruta,
        cast(
            case when arbol.nivel + 1 = 1 then hijos.nombre else arbol.nivel_1 end
            as {{ dbt.type_string() }}
        ) as nivel_1,
        cast(
            case when arbol.nivel + 1 = 2 then hijos.nombre else arbol.nivel_2 end
            as {{ dbt.type_string() }}
        ) as nivel_2,
        cast(
            case when arbol.nivel + 1 = 3 then hijos.nombre else arbol.nivel_3 end
            as {{ dbt.type_string() }}
        ) as nivel_3
    from arbol
    inner join categorias as hijos
        on arbol.categoria_id = hijos.categoria_padre_id
    where arbol.nivel < 50

),

final as (

    select
        categoria_id,
        categoria_padre_id,
        nombre,
        nivel,
        ruta,
        nivel_1,
        nivel_2,
        nivel_3
    from arbol

)

select * from final
