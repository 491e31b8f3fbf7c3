with

estados_orden as (

    select * from {{ source('csv', 'estados_orden') }}

),

renombrado as (

    select
        lower({{ try_cast_text('codigo', 'varchar') }}) as estado_orden_codigo,
        {{ try_cast_text('nombre', 'varchar') }} as nombre,
        {{ try_cast_text('descripcion', 'varchar') }} as descripcion,
        {{ try_cast_text('es_final', 'boolean') }} as es_final,
        {{ is_invalid_cast('es_final', 'boolean') }} as es_final__invalido,
        {{ try_cast_text('orden', 'integer') }} as posicion,
        {{ is_invalid_cast('orden', 'integer') }} as posicion__invalido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from estados_orden
    -- malformed lines stay in the raw table with the reason (stg_csv__rechazos)
    where _rechazo is null

),

poblado as (

    select
        {{ populate_generated_id('estado_orden_codigo', ['nombre']) }},
        nombre,
        descripcion,
        es_final,
        es_final__invalido,
        posicion,
        posicion__invalido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one row per status code: the latest load, then the last line
final as (

    {{ deduplicate(
        'poblado',
        'estado_orden_codigo',
        '_cargado_at desc nulls last, _source_file desc, _source_line desc'
    ) }}

)

select * from final
