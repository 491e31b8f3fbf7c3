with

oro_dictionary_country as (

    select * from {{ source('orocommerce', 'oro_dictionary_country') }}

),

renombrado as (

    select
        cast(iso2_code as varchar) as pais_codigo,
        cast(iso3_code as varchar) as pais_codigo_iso3,
        cast(name as varchar) as nombre,
        cast(deleted as boolean) as es_eliminado,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from oro_dictionary_country

),

-- one row per pais_codigo: the latest load
final as (

    {{ deduplicate('renombrado', 'pais_codigo', '_cargado_at desc nulls last') }}

)

select * from final
