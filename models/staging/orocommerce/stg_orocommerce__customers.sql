{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_customer as (

    select * from {{ source('orocommerce', 'oro_customer') }}

),

renombrado as (

    select
        cast(id as integer) as cliente_id,
        cast(name as varchar) as nombre,
        cast(parent_id as integer) as cliente_padre_id,
        cast(group_id as integer) as grupo_cliente_id,
        cast(owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        cast(lifetime as decimal(19, 4)) as valor_vida,
        {{ oro_enum_code('serialized_data', 'internal_rating') }} as calificacion_interna,
        cast(external_id as varchar) as externo_id,
        {{ populate_default_date('created_at', cargado_at, 'cast(created_at as timestamp)') }},
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        cast(serialized_data as varchar) as datos_serializados,
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_customer

),

-- one row per cliente_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'cliente_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
