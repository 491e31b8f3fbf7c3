{#-
    Every line of raw_csv.estados_orden, typed and populated, with the
    reason it is not staged (_motivo_rechazo, null for a staged line): a
    malformed line or a repeated status code (the first line is kept).
-#}

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
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from estados_orden

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
        _rechazo as _motivo_valor,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one staged status per code: the first line
final as (

    {{ marcar_rechazos(
        'poblado', ['estado_orden_codigo'], ['nombre', 'descripcion', 'es_final', 'posicion']
    ) }}

)

select * from final
