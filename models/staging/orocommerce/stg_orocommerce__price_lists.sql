{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_price_list as (

    select * from {{ source('orocommerce', 'oro_price_list') }}

),

renombrado as (

    select
        cast(id as integer) as lista_precios_id,
        cast(name as varchar) as nombre,
        cast(active as boolean) as es_activa,
        cast(actual as boolean) as es_vigente,
        cast(contain_schedule as boolean) as tiene_programacion,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_price_list

),

-- one row per lista_precios_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'lista_precios_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
