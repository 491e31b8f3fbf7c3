{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_business_unit as (

    select * from {{ source('orocommerce', 'oro_business_unit') }}

),

renombrado as (

    select
        cast(id as integer) as unidad_negocio_id,
        cast(organization_id as integer) as organizacion_id,
        cast(business_unit_owner_id as integer) as unidad_negocio_padre_id,
        cast(name as varchar) as nombre,
        cast(phone as varchar) as telefono,
        cast(email as varchar) as email,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_business_unit

),

-- one row per unidad_negocio_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'unidad_negocio_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
