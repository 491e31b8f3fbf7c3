{#-
    dim_unidad_medida: one row per Oro product unit (business key
    unidad_medida_id = oro_product_unit.code: each, item, kg, piece, set,
    hour), with its default precision (decimals a quantity may have) and a
    Spanish name. Plus inferred members for unit codes order lines or
    product precisions use that oro_product_unit lacks, and the unknown
    member.
-#}

with

unidades as (

    select * from {{ ref('stg_orocommerce__product_units') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

miembros as (

    select
        cast(unidad_codigo as {{ dbt.type_string() }}) as unidad_medida_id,
        cast(
            coalesce(
                case lower(unidad_codigo)
                    when 'each' then 'Unidad'
                    when 'item' then 'Artículo'
                    when 'piece' then 'Pieza'
                    when 'set' then 'Juego'
                    when 'kg' then 'Kilogramo'
                    when 'hour' then 'Hora'
                    when 'box' then 'Caja'
                    when 'liter' then 'Litro'
                    when 'meter' then 'Metro'
                end,
                unidad_codigo
            ) as {{ dbt.type_string() }}
        ) as nombre,
        cast(precision_predeterminada as integer) as precision_predeterminada,
        false as es_inferido
    from unidades

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as unidad_medida_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast(null as integer) as precision_predeterminada,
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.unidad_medida_id
    where
        claves_referenciadas.dimension = 'unidad_medida'
        and miembros.unidad_medida_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as unidad_medida_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast(null as integer) as precision_predeterminada,
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
        {{ surrogate_key(['unidad_medida_id']) }} as unidad_medida_key,
        unidad_medida_id,
        nombre,
        precision_predeterminada,
        es_inferido
    from unidos

)

select * from final
