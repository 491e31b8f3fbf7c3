{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

orocrm_sales_b2bcustomer as (

    select * from {{ source('orocrm', 'orocrm_sales_b2bcustomer') }}

),

renombrado as (

    select
        cast(id as integer) as cliente_b2b_id,
        cast(name as varchar) as nombre,
        cast(account_id as integer) as cuenta_id,
        cast(contact_id as integer) as contacto_id,
        cast(data_channel_id as integer) as canal_id,
        cast(lifetime as decimal(19, 4)) as valor_vida,
        cast(website as varchar) as sitio_web_url,
        cast(employees as integer) as cantidad_empleados,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(createdat as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updatedat as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_sales_b2bcustomer

),

-- one row per cliente_b2b_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'cliente_b2b_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
