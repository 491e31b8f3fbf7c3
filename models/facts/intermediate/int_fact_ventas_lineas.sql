{#-
    Every sales line of fact_ventas, loadable or not: the Oro order lines
    (int_fact_ventas_oro) and the POS ticket lines (int_fact_ventas_tienda)
    with the same columns, listed once below. fact_ventas loads the rows
    whose motivo_rechazo is null; int_fact_rechazos counts the others.
    A view: a union of two tables that its readers filter (fact_ventas
    reads the lines changed since its last build), so writing a copy of
    every line each build would cost more than it saves.
-#}
{{ config(materialized='view') }}
{%- set columnas = [
    'origen', 'venta_id', 'linea_origen_id', 'numero_documento', 'linea',
    'vendido_at', 'fecha_venta', 'cliente_id', 'usuario_cliente_id',
    'producto_id', 'sku', 'categoria_id', 'marca_id', 'unidad_codigo',
    'sitio_web_id', 'canal_codigo', 'geografia_id', 'moneda',
    'estado_orden_codigo', 'metodo_pago_codigo', 'metodo_envio_clave',
    'promocion_clave', 'almacen_codigo', 'empleado_id', 'cantidad',
    'precio_unitario', 'monto_bruto', 'monto_descuento', 'monto_neto',
    'monto_impuesto', 'origen_impuesto', 'precio_incluye_impuesto',
    'costo_total', 'actualizado_at', 'cargado_at', 'motivo_rechazo'
] -%}

with

ventas_oro as (

    select * from {{ ref('int_fact_ventas_oro') }}

),

ventas_tienda as (

    select * from {{ ref('int_fact_ventas_tienda') }}

),

final as (

    {% for origen in ['ventas_oro', 'ventas_tienda'] -%}
        select {{ columnas | join(', ') }}
        from {{ origen }}
        {% if not loop.last %}
            union all
        {% endif %}
    {%- endfor %}

)

select * from final
