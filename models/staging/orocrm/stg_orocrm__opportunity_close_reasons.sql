with

orocrm_sales_opport_close_rsn as (

    select * from {{ source('orocrm', 'orocrm_sales_opport_close_rsn') }}

),

renombrado as (

    select
        cast(name as varchar) as motivo_cierre_codigo,
        cast(label as varchar) as nombre,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from orocrm_sales_opport_close_rsn

),

-- one row per motivo_cierre_codigo: the latest load
final as (

    {{ deduplicate('renombrado', 'motivo_cierre_codigo', '_cargado_at desc nulls last') }}

)

select * from final
