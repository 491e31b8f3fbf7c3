with

tipos_cambio as (

    select * from {{ source('csv', 'tipos_cambio') }}

),

renombrado as (

    select
        {{ try_cast_text('fecha', 'date') }} as fecha,
        {{ is_invalid_cast('fecha', 'date') }} as fecha__invalido,
        -- no default currency here: a rate of an unknown currency must not become a USD rate
        upper({{ try_cast_text('moneda', 'varchar') }}) as moneda,
        {{ try_cast_text('tasa_usd', 'decimal(18, 8)') }} as tasa_usd,
        {{ is_invalid_cast('tasa_usd', 'decimal(18, 8)') }} as tasa_usd__invalido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from tipos_cambio
    -- malformed lines stay in the raw table with the reason (stg_csv__rechazos)
    where _rechazo is null

),

-- one row per day and currency: the latest load, then the last line
final as (

    {{ deduplicate(
        'renombrado',
        'fecha, moneda',
        '_cargado_at desc nulls last, _source_file desc, _source_line desc'
    ) }}

)

select * from final
