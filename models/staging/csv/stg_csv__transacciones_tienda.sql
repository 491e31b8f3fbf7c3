{#-
    The staged POS ticket lines: the lines of base_csv__transacciones_tienda
    that break no rule (malformed, bad or out-of-range values, repeated
    ticket lines are in stg_csv__rechazos instead).
-#}
-- depends_on: {{ source('csv', 'transacciones_tienda') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__transacciones_tienda') }}

),

final as (

    select
        ticket,
        ticket__poblado,
        linea,
        fecha_hora_local,
        vendido_at,
        fecha_venta,
        sucursal_codigo,
        sku,
        cantidad,
        es_devolucion,
        precio_unitario,
        monto_descuento,
        moneda,
        moneda__poblado,
        metodo_pago,
        cliente_codigo,
        cliente_id,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
