{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_website as (

    select * from {{ source('orocommerce', 'oro_website') }}

),

renombrado as (

    select
        cast(id as integer) as sitio_web_id,
        cast(name as varchar) as nombre,
        cast(is_default as boolean) as es_predeterminado,
        cast(organization_id as integer) as organizacion_id,
        cast(business_unit_owner_id as integer) as unidad_negocio_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_website

),

-- one row per sitio_web_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'sitio_web_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
