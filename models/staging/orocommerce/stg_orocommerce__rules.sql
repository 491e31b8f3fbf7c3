{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_rule as (

    select * from {{ source('orocommerce', 'oro_rule') }}

),

renombrado as (

    select
        cast(id as integer) as regla_id,
        cast(name as varchar) as nombre,
        cast(enabled as boolean) as es_activa,
        cast(sort_order as integer) as orden,
        cast(stop_processing as boolean) as es_final,
        cast(expression as varchar) as expresion,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_rule

),

-- one row per regla_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'regla_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
