with

oro_enum_option as (

    select * from {{ source('orocrm', 'oro_enum_option') }}

),

renombrado as (

    select
        cast(id as varchar) as opcion_id,
        cast(enum_code as varchar) as enum_codigo,
        cast(internal_id as varchar) as opcion_codigo,
        cast(name as varchar) as nombre,
        cast(priority as integer) as prioridad,
        cast(is_default as boolean) as es_predeterminada,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_enum_option

),

-- one row per opcion_id: the latest load
final as (

    {{ deduplicate('renombrado', 'opcion_id', '_cargado_at desc nulls last') }}

)

select * from final
