{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_organization as (

    select * from {{ source('orocommerce', 'oro_organization') }}

),

renombrado as (

    select
        cast(id as integer) as organizacion_id,
        cast(name as varchar) as nombre,
        cast(enabled as boolean) as es_activa,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_organization

),

-- one row per organizacion_id: the latest load
final as (

    {{ deduplicate('renombrado', 'organizacion_id', '_cargado_at desc nulls last') }}

)

select * from final
