{#-
    dim_estado_oportunidad: one row per OroCRM opportunity status (enum
    opportunity_status; business key estado_oportunidad_id = the option
    code: in_progress, identification_alignment, needs_analysis,
    solution_development, negotiation, won, lost), with a Spanish name,
    Oro's default probability for the status (OroCRM's
    oro_sales.default_opportunity_probabilities: the probability an
    opportunity gets when it moves to the status), es_ganada (won) and
    es_cerrada (won or lost). Plus inferred members for statuses the
    opportunities carry that the enum lacks, and the unknown member.
-#}

with

opciones_enum as (

    select * from {{ ref('stg_orocrm__enum_options') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

opciones as (

    select
        nombre,
        prioridad,
        lower(trim(opcion_codigo)) as codigo
    from opciones_enum
    where enum_codigo = 'opportunity_status'

),

estados as (

    select
        cast(codigo as {{ dbt.type_string() }}) as estado_oportunidad_id,
        cast(
            coalesce(
                case codigo
                    when 'in_progress' then 'Abierta'
                    when 'identification_alignment' then 'Identificación y alineación'
                    when 'needs_analysis' then 'Análisis de necesidades'
                    when 'solution_development' then 'Desarrollo de la solución'
                    when 'negotiation' then 'Negociación'
                    when 'won' then 'Ganada'
                    when 'lost' then 'Perdida'
                end,
                nombre,
                codigo
            ) as {{ dbt.type_string() }}
        ) as nombre,
        cast(coalesce(nombre, 'N/D') as {{ dbt.type_string() }}) as nombre_oro,
        cast(
            case codigo
                when 'in_progress' then 0.1
                when 'identification_alignment' then 0.3
                when 'needs_analysis' then 0.2
                when 'solution_development' then 0.5
                when 'negotiation' then 0.8
                when 'won' then 1
                when 'lost' then 0
            end as decimal(5, 4)
        ) as probabilidad_predeterminada,
        codigo = 'won' as es_ganada,
        codigo in ('won', 'lost') as es_cerrada,
        cast(prioridad as integer) as posicion,
        false as es_inferido
    from opciones

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as estado_oportunidad_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_oro,
        cast(null as decimal(5, 4)) as probabilidad_predeterminada,
        false as es_ganada,
        false as es_cerrada,
        cast(null as integer) as posicion,
        true as es_inferido
    from claves_referenciadas
    left join estados
        on claves_referenciadas.clave = estados.estado_oportunidad_id
    where
        claves_referenciadas.dimension = 'estado_oportunidad'
        and estados.estado_oportunidad_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as estado_oportunidad_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_oro,
        cast(null as decimal(5, 4)) as probabilidad_predeterminada,
        false as es_ganada,
        false as es_cerrada,
        cast(null as integer) as posicion,
        false as es_inferido

),

unidos as (

    select * from estados
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['estado_oportunidad_id']) }} as estado_oportunidad_key,
        estado_oportunidad_id,
        nombre,
        nombre_oro,
        probabilidad_predeterminada,
        es_ganada,
        es_cerrada,
        posicion,
        es_inferido
    from unidos

)

select * from final
