with

oro_dictionary_region as (

    select * from {{ source('orocommerce', 'oro_dictionary_region') }}

),

renombrado as (

    select
        cast(combined_code as varchar) as region_codigo,
        cast(country_code as varchar) as pais_codigo,
        cast(code as varchar) as region_codigo_corto,
        cast(name as varchar) as nombre,
        cast(deleted as boolean) as es_eliminado,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_dictionary_region

),

-- one row per region_codigo: the latest load
final as (

    {{ deduplicate('renombrado', 'region_codigo', '_cargado_at desc nulls last') }}

)

select * from final
