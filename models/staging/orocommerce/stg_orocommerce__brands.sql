{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_brand as (

    select * from {{ source('orocommerce', 'oro_brand') }}

),

renombrado as (

    select
        cast(id as integer) as marca_id,
        cast(default_title as varchar) as nombre,
        cast(status as varchar) as estado,
        cast(organization_id as integer) as organizacion_id,
        cast(business_unit_owner_id as integer) as unidad_negocio_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_brand

),

-- one row per marca_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'marca_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
