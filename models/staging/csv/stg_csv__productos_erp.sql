with

productos_erp as (

    select * from {{ source('csv', 'productos_erp') }}

),

renombrado as (

    select
        {{ try_cast_text('codigo', 'varchar') }} as sku,
        {{ try_cast_text('nombre', 'varchar') }} as nombre,
        {{ try_cast_text('costo_unitario', 'decimal(19, 4)') }} as costo_unitario,
        {{ is_invalid_cast('costo_unitario', 'decimal(19, 4)') }} as costo_unitario__invalido,
        {{ try_cast_text('marca', 'varchar') }} as marca,
        lower({{ try_cast_text('estado', 'varchar') }}) as estado,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from productos_erp
    -- malformed lines stay in the raw table with the reason (stg_csv__rechazos)
    where _rechazo is null

),

poblado as (

    select
        {{ populate_generated_id('sku', ['nombre']) }},
        nombre,
        costo_unitario,
        costo_unitario__invalido,
        marca,
        {{ populate_default('estado') }},
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one row per SKU: the latest load, then the last line
final as (

    {{ deduplicate(
        'poblado',
        'sku',
        '_cargado_at desc nulls last, _source_file desc, _source_line desc'
    ) }}

)

select * from final
