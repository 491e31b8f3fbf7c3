{#-
    POS ticket lines prepared for fact_ventas (channel `tienda`): one row per
    ticket line of stg_csv__transacciones_tienda, with the business keys of
    every dimension, the measures in the ticket currency, the cursors (a
    ticket line never changes: its source clock is the sale time; a late
    ticket is caught by the look-back window or by its load time) and, for
    lines that cannot be loaded, the reason (motivo_rechazo).
    A ticket is a completed, paid sale handed over in the store: its order
    status is `closed`; it has no website, shipping method or promotion.
    The store is both the warehouse and the ship-to place. Prices include
    IVA (13 %, var tasa_iva): the POS exports carry no tax, so the tax is
    the fallback rule (origen_impuesto 'regla_iva'). A return is a line with a negative quantity
    and the sale's (positive) price and discount: its gross, discount, net,
    tax and cost amounts are all negative. Lines with bad values never get
    here (stg_csv__rechazos): motivo_rechazo only guards that.
-#}
{%- set tasa_iva = var('tasa_iva', 0.13) -%}

with

transacciones_tienda as (

    select * from {{ ref('stg_csv__transacciones_tienda') }}

),

productos as (

    select * from {{ ref('stg_orocommerce__products') }}

),

precisiones as (

    select * from {{ ref('stg_orocommerce__product_unit_precisions') }}

),

productos_erp as (

    select * from {{ ref('stg_csv__productos_erp') }}

),

geografia_direcciones as (

    select * from {{ ref('int_dim_geografia__direcciones') }}

),

unidad_principal as (

    select
        productos.producto_id,
        productos.sku_mayusculas,
        productos.categoria_id,
        productos.marca_id,
        precisiones.unidad_codigo
    from productos
    left join precisiones
        on productos.precision_unidad_principal_id = precisiones.precision_unidad_id

),

lineas as (

    select
        transacciones_tienda.ticket,
        transacciones_tienda.linea,
        transacciones_tienda.vendido_at,
        transacciones_tienda.fecha_venta,
        transacciones_tienda.sucursal_codigo,
        transacciones_tienda.sku,
        transacciones_tienda.cantidad,
        transacciones_tienda.precio_unitario,
        transacciones_tienda.monto_descuento,
        transacciones_tienda.moneda,
        transacciones_tienda.metodo_pago,
        transacciones_tienda.cliente_codigo,
        transacciones_tienda.cliente_id,
        transacciones_tienda._source_file,
        transacciones_tienda._source_line,
        transacciones_tienda._cargado_at,
        unidad_principal.producto_id,
        unidad_principal.categoria_id,
        unidad_principal.marca_id,
        unidad_principal.unidad_codigo,
        productos_erp.costo_unitario,
        geografia_direcciones.geografia_id,
        cast(transacciones_tienda.precio_unitario * transacciones_tienda.cantidad as decimal(19, 4)) as monto_bruto,
        -- a return (negative quantity) gives the discount back: every amount of the line is negative
        case
            when transacciones_tienda.es_devolucion then -coalesce(transacciones_tienda.monto_descuento, 0)
            else coalesce(transacciones_tienda.monto_descuento, 0)
        end as descuento
    from transacciones_tienda
    left join unidad_principal
        on upper(transacciones_tienda.sku) = unidad_principal.sku_mayusculas
    left join productos_erp
        on upper(transacciones_tienda.sku) = upper(productos_erp.sku)
    left join geografia_direcciones
        on
            geografia_direcciones.origen = 'sucursal'
            and transacciones_tienda.sucursal_codigo = geografia_direcciones.direccion_id

),

final as (

    select
        'tienda' as origen,
        {{ dbt.concat([
            "'tienda|'",
            'ticket',
            "'|'",
            "coalesce(cast(linea as " ~ dbt.type_string() ~ "), 'archivo:' || _source_file || ':' || cast(_source_line as " ~ dbt.type_string() ~ "))"
        ]) }} as venta_id,
        {{ dbt.concat(['_source_file', "':'", 'cast(_source_line as ' ~ dbt.type_string() ~ ')']) }} as linea_origen_id,
        ticket as numero_documento,
        linea,
        vendido_at,
        fecha_venta,
        -- 'C' codes are Oro customers (their id), 'T' codes store-only customers
        coalesce(cast(cliente_id as {{ dbt.type_string() }}), cliente_codigo) as cliente_id,
        cast(null as {{ dbt.type_string() }}) as usuario_cliente_id,
        cast(producto_id as {{ dbt.type_string() }}) as producto_id,
        sku,
        cast(categoria_id as {{ dbt.type_string() }}) as categoria_id,
        cast(marca_id as {{ dbt.type_string() }}) as marca_id,
        unidad_codigo,
        cast(null as {{ dbt.type_string() }}) as sitio_web_id,
        'tienda' as canal_codigo,
        geografia_id,
        moneda,
        'closed' as estado_orden_codigo,
        metodo_pago as metodo_pago_codigo,
        cast(null as {{ dbt.type_string() }}) as metodo_envio_clave,
        cast(null as {{ dbt.type_string() }}) as promocion_clave,
        sucursal_codigo as almacen_codigo,
        cast(null as {{ dbt.type_string() }}) as empleado_id,
        cantidad,
        precio_unitario,
        monto_bruto,
        cast(descuento as decimal(19, 4)) as monto_descuento,
        cast(monto_bruto - descuento as decimal(19, 4)) as monto_neto,
        cast(
            round((monto_bruto - descuento) * {{ tasa_iva }} / (1 + {{ tasa_iva }}), 4) as decimal(19, 4)
        ) as monto_impuesto,
        'regla_iva' as origen_impuesto,
        true as precio_incluye_impuesto,
        cast(round(costo_unitario * cantidad, 4) as decimal(19, 4)) as costo_total,
        -- a ticket line never changes once sold: its source clock is the sale time
        vendido_at as actualizado_at,
        _cargado_at as cargado_at,
        case
            when linea is null then 'linea_invalida'
            when fecha_venta is null then 'fecha_invalida'
            when cantidad is null then 'cantidad_invalida'
            when precio_unitario is null then 'precio_invalido'
        end as motivo_rechazo
    from lineas

)

select * from final
