{%- set cargado_at = load_id_to_timestamp('_dlt_load_id') -%}

with

oro_payment_status as (

    select * from {{ source('orocommerce', 'oro_payment_status') }}

),

renombrado as (

    select
        cast(id as integer) as estado_pago_id,
        cast(entity_class as varchar) as entidad_clase,
        cast(entity_identifier as integer) as entidad_id,
        case
            when entity_class = 'Oro\Bundle\OrderBundle\Entity\Order'
                then cast(entity_identifier as integer)
        end as orden_id,
        cast(payment_status as varchar) as estado_pago,
        cast(forced as boolean) as es_forzado,
        {{ populate_default_date('updated_at', cargado_at, 'cast(updated_at as timestamp)') }},
        {{ cargado_at }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_payment_status

),

-- one row per estado_pago_id: the latest updated_at, then the latest load
final as (

    {{ deduplicate('renombrado', 'estado_pago_id', 'updated_at desc nulls last, _cargado_at desc nulls last') }}

)

select * from final
