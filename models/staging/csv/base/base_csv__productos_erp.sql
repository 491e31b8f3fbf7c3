{#-
    Every line of raw_csv.productos_erp, typed and populated, with the
    reason it is not staged (_motivo_rechazo, null for a staged line): a
    malformed line, a negative unit cost, or a repeated product code (the
    first line is kept). A cost that is not a number is kept as null
    (flagged costo_unitario__invalido): the product's other attributes
    stay usable.
-#}

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
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from productos_erp

),

poblado as (

    select
        {{ populate_generated_id('sku', ['nombre']) }},
        nombre,
        costo_unitario,
        costo_unitario__invalido,
        marca,
        {{ populate_default('estado') }},
        case
            when _rechazo is not null then _rechazo
            when costo_unitario < 0 then 'costo_unitario negativo'
        end as _motivo_valor,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one staged product per SKU: the first line
final as (

    {{ marcar_rechazos('poblado', ['sku'], ['nombre', 'costo_unitario', 'marca', 'estado']) }}

)

select * from final
