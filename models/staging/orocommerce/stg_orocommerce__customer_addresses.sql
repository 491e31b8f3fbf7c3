{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_customer_address as (

    select * from {{ source('orocommerce', 'oro_customer_address') }}

),

renombrado as (

    select
        cast(id as integer) as direccion_cliente_id,
        cast(frontend_owner_id as integer) as cliente_id,
        cast(is_primary as boolean) as es_principal,
        cast(label as varchar) as etiqueta,
        cast(street as varchar) as calle,
        cast(city as varchar) as ciudad,
        cast(postal_code as varchar) as codigo_postal,
        cast(country_code as varchar) as pais_codigo,
        cast(region_code as varchar) as region_codigo,
        cast(region_text as varchar) as region_texto,
        cast(phone as varchar) as telefono,
        {{ populate_default_date('created_at', cargado_at, 'cast(created as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_customer_address

),

-- one row per direccion_cliente_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'direccion_cliente_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
