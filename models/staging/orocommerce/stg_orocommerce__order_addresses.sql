{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_order_address as (

    select * from {{ source('orocommerce', 'oro_order_address') }}
    -- an incremental build reads only the load packages it does not hold yet
    where {{ cargas_nuevas(is_incremental()) }}

),

renombrado as (

    select
        cast(id as integer) as direccion_orden_id,
        cast(customer_address_id as integer) as direccion_cliente_id,
        cast(customer_user_address_id as integer) as direccion_usuario_cliente_id,
        cast(label as varchar) as etiqueta,
        cast(organization as varchar) as empresa,
        cast(first_name as varchar) as nombre,
        cast(last_name as varchar) as apellido,
        cast(street as varchar) as calle,
        cast(city as varchar) as ciudad,
        cast(postal_code as varchar) as codigo_postal,
        cast(country_code as varchar) as pais_codigo,
        cast(region_code as varchar) as region_codigo,
        cast(region_text as varchar) as region_texto,
        cast(phone as varchar) as telefono,
        cast(from_external_source as boolean) as es_de_fuente_externa,
        {{ populate_default_date('created_at', cargado_at, 'cast(created as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_order_address

),

-- one row per direccion_orden_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'direccion_orden_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
