{#-
    Every line of raw_csv.transacciones_tienda, typed and populated, with
    the reason it is not staged (_motivo_rechazo, null for a staged line):
    a malformed line (the loader's reason), a value rule (first one broken,
    in this order: line number, date, quantity, price, discount; a negative
    price or discount), or a repeated ticket line (the first by file and
    line is kept). A negative quantity is a return: kept, es_devolucion.
    POS times are local store time, as the POS exports them: El Salvador,
    UTC-6 all year (no daylight saving time since 1988).
-#}
{%- set horas_a_utc = 6 -%}

with

transacciones_tienda as (

    select * from {{ source('csv', 'transacciones_tienda') }}

),

renombrado as (

    select
        {{ try_cast_text('ticket', 'varchar') }} as ticket,
        {{ try_cast_text('linea', 'integer') }} as linea,
        {{ is_invalid_cast('linea', 'integer') }} as linea__invalido,
        {{ try_cast_text('fecha_hora', 'timestamp') }} as fecha_hora_local,
        {{ is_invalid_cast('fecha_hora', 'timestamp') }} as fecha_hora_local__invalido,
        upper({{ try_cast_text('sucursal', 'varchar') }}) as sucursal_codigo,
        {{ try_cast_text('sku', 'varchar') }} as sku,
        {{ try_cast_text('cantidad', 'decimal(18, 4)') }} as cantidad,
        {{ is_invalid_cast('cantidad', 'decimal(18, 4)') }} as cantidad__invalido,
        {{ try_cast_text('precio', 'decimal(19, 4)') }} as precio_unitario,
        {{ is_invalid_cast('precio', 'decimal(19, 4)') }} as precio_unitario__invalido,
        {{ try_cast_text('descuento', 'decimal(19, 4)') }} as monto_descuento,
        {{ is_invalid_cast('descuento', 'decimal(19, 4)') }} as monto_descuento__invalido,
        upper({{ try_cast_text('moneda', 'varchar') }}) as moneda,
        lower({{ try_cast_text('metodo_pago', 'varchar') }}) as metodo_pago,
        upper({{ try_cast_text('cliente_codigo', 'varchar') }}) as cliente_codigo,
        coalesce(
            {{ motivo_conversion('linea', 'integer', 'línea inválida', 'sin línea') }},
            {{ motivo_conversion('fecha_hora', 'timestamp', 'fecha inválida', 'sin fecha') }},
            {{ motivo_conversion('cantidad', 'decimal(18, 4)', 'cantidad inválida', 'sin cantidad') }},
            {{ motivo_conversion('precio', 'decimal(19, 4)', 'precio inválido', 'sin precio') }},
            {{ motivo_conversion('descuento', 'decimal(19, 4)', 'descuento inválido') }}
        ) as _motivo_conversion,
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from transacciones_tienda

),

poblado as (

    select
        {{ populate_generated_id('ticket', ['_source_file', '_source_line']) }},
        linea,
        linea__invalido,
        fecha_hora_local,
        fecha_hora_local__invalido,
        {{ dbt.dateadd('hour', horas_a_utc, 'fecha_hora_local') }} as vendido_at,
        cast(fecha_hora_local as date) as fecha_venta,
        sucursal_codigo,
        sku,
        cantidad,
        cantidad__invalido,
        -- a negative quantity is a return of goods: kept, with negative amounts downstream
        coalesce(cantidad < 0, false) as es_devolucion,
        precio_unitario,
        precio_unitario__invalido,
        monto_descuento,
        monto_descuento__invalido,
        {{ populate_default('moneda') }},
        metodo_pago,
        cliente_codigo,
        -- 'C' + 6 digits is an Oro customer; 'T...' a store-only customer; null: anonymous
        case
            when cliente_codigo like 'C%'
                then {{ try_cast_text('substr(cliente_codigo, 2)', 'integer') }}
        end as cliente_id,
        case
            when _rechazo is not null then _rechazo
            when _motivo_conversion is not null then _motivo_conversion
            when precio_unitario < 0 then 'precio negativo'
            when monto_descuento < 0 then 'descuento negativo'
        end as _motivo_valor,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one staged line per ticket and line number: the first by file and line
final as (

    {{ marcar_rechazos(
        'poblado',
        ['ticket', 'linea'],
        ['fecha_hora_local', 'sucursal_codigo', 'sku', 'cantidad', 'precio_unitario', 'monto_descuento',
         'moneda', 'metodo_pago', 'cliente_codigo']
    ) }}

)

select * from final
