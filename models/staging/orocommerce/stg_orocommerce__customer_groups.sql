with

oro_customer_group as (

    select * from {{ source('orocommerce', 'oro_customer_group') }}

),

renombrado as (

    select
        cast(id as integer) as grupo_cliente_id,
        cast(name as varchar) as nombre,
        cast(user_owner_id as integer) as usuario_propietario_id,
        cast(organization_id as integer) as organizacion_id,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_customer_group

),

-- one row per grupo_cliente_id: the latest load
final as (

    {{ deduplicate('renombrado', 'grupo_cliente_id', '_cargado_at desc nulls last') }}

)

select * from final
