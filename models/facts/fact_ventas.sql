{#-
    fact_ventas: one row per sales line, an Oro order line item or a POS
    ticket line (int_fact_ventas_lineas; rejected lines are counted in
    int_fact_rechazos instead). Keys to every dimension; SCD2 customers and
    products point-in-time (the version valid when the sale happened).
    Incremental: the lines whose source changed since the latest
    actualizado_at already loaded minus var lookback_days, plus the lines
    that still point to an inferred member (they are re-keyed once the
    dimension knows the member).
-#}
{{ config(
    unique_key='venta_key',
    on_schema_change='fail',
    post_hook=["{{ borrar_lineas_eliminadas('venta_id', ref('int_fact_ventas_lineas')) }}"]
) }}


with

ventas_lineas as (

    select * from {{ ref('int_fact_ventas_lineas') }}

),

tasas_cambio as (

    select * from {{ ref('int_fact_tasas_cambio_diarias') }}

),

dim_cliente as (

    select * from {{ ref('dim_cliente') }}

),

dim_producto as (

    select * from {{ ref('dim_producto') }}

),

dim_usuario_cliente as (

    select * from {{ ref('dim_usuario_cliente') }}

),

dim_categoria as (

    select * from {{ ref('dim_categoria') }}

),

dim_marca as (

    select * from {{ ref('dim_marca') }}

),

dim_unidad_medida as (

    select * from {{ ref('dim_unidad_medida') }}

),

dim_sitio_web as (

    select * from {{ ref('dim_sitio_web') }}

),

dim_canal as (

    select * from {{ ref('dim_canal') }}

),

dim_geografia as (

    select * from {{ ref('dim_geografia') }}

),

dim_moneda as (

    select * from {{ ref('dim_moneda') }}

),

dim_estado_orden as (

    select * from {{ ref('dim_estado_orden') }}

),

dim_metodo_pago as (

    select * from {{ ref('dim_metodo_pago') }}

),

dim_metodo_envio as (

    select * from {{ ref('dim_metodo_envio') }}

),

dim_promocion as (

    select * from {{ ref('dim_promocion') }}

),

dim_almacen as (

    select * from {{ ref('dim_almacen') }}

),

dim_empleado as (

    select * from {{ ref('dim_empleado') }}

),

lineas as (

    select ventas_lineas.*
    from ventas_lineas
    where
        ventas_lineas.motivo_rechazo is null
        -- Oro update times and POS sale times are different clocks: a window each
        and {{ filtro_incremental(
            is_incremental(),
            'ventas_lineas',
            'venta_id',
            [
                {'columna': 'actualizado_at', 'condicion': "origen = 'oro'"},
                {'columna': 'actualizado_at', 'condicion': "origen = 'tienda'"},
                {'columna': 'cargado_at', 'dias_atras': 0},
            ],
            [
                {'columna': 'cliente_key', 'dimension': ref('dim_cliente')},
                {'columna': 'producto_key', 'dimension': ref('dim_producto')},
            ]
        ) }}

),

-- SCD2 versions by their published ranges (macro versiones_scd2)
versiones_cliente as (

    {{ versiones_scd2('dim_cliente', ['cliente_key', 'cliente_id']) }}

),

-- SCD2 versions by their published ranges (macro versiones_scd2)
versiones_producto as (

    {{ versiones_scd2('dim_producto', ['producto_key', 'producto_id', 'sku']) }}

),

claves as (

    select
        lineas.*,
        -- Oro lines name the product by id, POS lines by SKU
        case when lineas.origen = 'tienda' then lineas.sku else lineas.producto_id end as producto_clave,
        {{ fecha_a_clave('lineas.fecha_venta') }} as fecha_key,
        cliente.cliente_key as cliente_key_encontrada,
        cliente_inferido.cliente_key as cliente_key_inferida,
        coalesce(producto_por_id.producto_key, producto_por_sku.producto_key) as producto_key_encontrada,
        producto_inferido.producto_key as producto_key_inferida,
        dim_usuario_cliente.usuario_cliente_key as usuario_cliente_key_encontrada,
        dim_categoria.categoria_key as categoria_key_encontrada,
        dim_marca.marca_key as marca_key_encontrada,
        dim_unidad_medida.unidad_medida_key as unidad_medida_key_encontrada,
        dim_sitio_web.sitio_web_key as sitio_web_key_encontrada,
        dim_canal.canal_key as canal_key_encontrada,
        dim_geografia.geografia_key as geografia_key_encontrada,
        dim_moneda.moneda_key as moneda_key_encontrada,
        dim_estado_orden.estado_orden_key as estado_orden_key_encontrada,
        dim_metodo_pago.metodo_pago_key as metodo_pago_key_encontrada,
        dim_metodo_envio.metodo_envio_key as metodo_envio_key_encontrada,
        dim_promocion.promocion_key as promocion_key_encontrada,
        dim_almacen.almacen_key as almacen_key_encontrada,
        dim_empleado.empleado_key as empleado_key_encontrada,
        tasas_cambio.tasa_usd
    from lineas
    left join versiones_cliente as cliente
        on
            lineas.cliente_id = cliente.cliente_id
            and lineas.vendido_at >= cliente.vigente_desde
            and lineas.vendido_at < cliente.vigente_hasta
    left join versiones_cliente as cliente_inferido
        on
            {{ id_inferido('lineas.cliente_id') }} = cliente_inferido.cliente_id
            and lineas.vendido_at >= cliente_inferido.vigente_desde
            and lineas.vendido_at < cliente_inferido.vigente_hasta
    left join versiones_producto as producto_por_id
        on
            lineas.origen = 'oro'
            and lineas.producto_id = producto_por_id.producto_id
            and lineas.vendido_at >= producto_por_id.vigente_desde
            and lineas.vendido_at < producto_por_id.vigente_hasta
    -- POS lines name the product by SKU; an Oro line of a product id the
    -- dimension lacks (deleted from Oro) takes the member of its SKU too
    left join versiones_producto as producto_por_sku
        on
            (lineas.origen = 'tienda' or producto_por_id.producto_key is null)
            and lineas.sku = producto_por_sku.sku
            and lineas.vendido_at >= producto_por_sku.vigente_desde
            and lineas.vendido_at < producto_por_sku.vigente_hasta
    left join versiones_producto as producto_inferido
        on
            {{ id_inferido("case when lineas.origen = 'tienda' then lineas.sku else lineas.producto_id end") }}
            = producto_inferido.producto_id
            and lineas.vendido_at >= producto_inferido.vigente_desde
            and lineas.vendido_at < producto_inferido.vigente_hasta
    left join dim_usuario_cliente
        on lineas.usuario_cliente_id = dim_usuario_cliente.usuario_cliente_id
    left join dim_categoria
        on lineas.categoria_id = dim_categoria.categoria_id
    left join dim_marca
        on lineas.marca_id = dim_marca.marca_id
    left join dim_unidad_medida
        on lineas.unidad_codigo = dim_unidad_medida.unidad_medida_id
    left join dim_sitio_web
        on lineas.sitio_web_id = dim_sitio_web.sitio_web_id
    left join dim_canal
        on lineas.canal_codigo = dim_canal.canal_id
    left join dim_geografia
        on lineas.geografia_id = dim_geografia.geografia_id
    left join dim_moneda
        on lineas.moneda = dim_moneda.moneda_id
    left join dim_estado_orden
        on lineas.estado_orden_codigo = dim_estado_orden.estado_orden_id
    left join dim_metodo_pago
        on lineas.metodo_pago_codigo = dim_metodo_pago.metodo_pago_id
    left join dim_metodo_envio
        on lineas.metodo_envio_clave = dim_metodo_envio.metodo_envio_id
    left join dim_promocion
        on coalesce(lineas.promocion_clave, 'SIN_PROMOCION') = dim_promocion.promocion_id
    left join dim_almacen
        on lineas.almacen_codigo = dim_almacen.almacen_id
    left join dim_empleado
        on lineas.empleado_id = dim_empleado.empleado_id
    left join tasas_cambio
        on
            lineas.fecha_venta = tasas_cambio.fecha
            and lineas.moneda = tasas_cambio.moneda

),

final as (

    select
        {{ surrogate_key(['venta_id']) }} as venta_key,
        venta_id,
        origen,
        numero_documento,
        linea,
        fecha_key,
        case
            when cliente_id is null then {{ clave_desconocida() }}
            else coalesce(cliente_key_encontrada, cliente_key_inferida)
        end as cliente_key,
        {{ clave_dimension('usuario_cliente_id', 'usuario_cliente_key_encontrada') }} as usuario_cliente_key,
        case
            when producto_clave is null then {{ clave_desconocida() }}
            else coalesce(producto_key_encontrada, producto_key_inferida)
        end as producto_key,
        {{ clave_dimension('categoria_id', 'categoria_key_encontrada') }} as categoria_key,
        {{ clave_dimension('marca_id', 'marca_key_encontrada') }} as marca_key,
        {{ clave_dimension('unidad_codigo', 'unidad_medida_key_encontrada') }} as unidad_medida_key,
        {{ clave_dimension('sitio_web_id', 'sitio_web_key_encontrada') }} as sitio_web_key,
        {{ clave_dimension('canal_codigo', 'canal_key_encontrada') }} as canal_key,
        {{ clave_dimension('geografia_id', 'geografia_key_encontrada') }} as geografia_key,
        {{ clave_dimension('moneda', 'moneda_key_encontrada') }} as moneda_key,
        {{ clave_dimension('estado_orden_codigo', 'estado_orden_key_encontrada') }} as estado_orden_key,
        {{ clave_dimension('metodo_pago_codigo', 'metodo_pago_key_encontrada') }} as metodo_pago_key,
        {{ clave_dimension('metodo_envio_clave', 'metodo_envio_key_encontrada') }} as metodo_envio_key,
        {{ clave_dimension(
            "coalesce(promocion_clave, 'SIN_PROMOCION')", 'promocion_key_encontrada'
        ) }} as promocion_key,
        {{ clave_dimension('almacen_codigo', 'almacen_key_encontrada') }} as almacen_key,
        {{ clave_dimension('empleado_id', 'empleado_key_encontrada') }} as empleado_key,
        cast(cantidad as decimal(18, 4)) as cantidad,
        cast(precio_unitario as decimal(19, 4)) as precio_unitario,
        monto_bruto,
        monto_descuento,
        monto_impuesto,
        monto_neto,
        origen_impuesto,
        precio_incluye_impuesto,
        cast(case when upper(moneda) = 'USD' then 1 else tasa_usd end as decimal(18, 8)) as tasa_usd,
        {{ convertir_a_usd('monto_bruto', 'moneda', 'tasa_usd') }} as monto_bruto_usd,
        {{ convertir_a_usd('monto_descuento', 'moneda', 'tasa_usd') }} as monto_descuento_usd,
        {{ convertir_a_usd('monto_impuesto', 'moneda', 'tasa_usd') }} as monto_impuesto_usd,
        {{ convertir_a_usd('monto_neto', 'moneda', 'tasa_usd') }} as monto_neto_usd,
        costo_total,
        cast(
            {{ convertir_a_usd(
                'monto_neto - case when precio_incluye_impuesto then monto_impuesto else 0 end',
                'moneda', 'tasa_usd'
            ) }} - costo_total
            as decimal(19, 4)
        ) as margen,
        (
            (cliente_id is not null and cliente_key_encontrada is null)
            or (producto_clave is not null and producto_key_encontrada is null)
            or {{ es_miembro_inferido('usuario_cliente_id', 'usuario_cliente_key_encontrada') }}
            or {{ es_miembro_inferido('categoria_id', 'categoria_key_encontrada') }}
            or {{ es_miembro_inferido('marca_id', 'marca_key_encontrada') }}
            or {{ es_miembro_inferido('unidad_codigo', 'unidad_medida_key_encontrada') }}
            or {{ es_miembro_inferido('sitio_web_id', 'sitio_web_key_encontrada') }}
            or {{ es_miembro_inferido('canal_codigo', 'canal_key_encontrada') }}
            or {{ es_miembro_inferido('geografia_id', 'geografia_key_encontrada') }}
            or {{ es_miembro_inferido('moneda', 'moneda_key_encontrada') }}
            or {{ es_miembro_inferido('estado_orden_codigo', 'estado_orden_key_encontrada') }}
            or {{ es_miembro_inferido('metodo_pago_codigo', 'metodo_pago_key_encontrada') }}
            or {{ es_miembro_inferido('metodo_envio_clave', 'metodo_envio_key_encontrada') }}
            or {{ es_miembro_inferido("coalesce(promocion_clave, 'SIN_PROMOCION')", 'promocion_key_encontrada') }}
            or {{ es_miembro_inferido('almacen_codigo', 'almacen_key_encontrada') }}
            or {{ es_miembro_inferido('empleado_id', 'empleado_key_encontrada') }}
            or (upper(moneda) != 'USD' and tasa_usd is null)
        ) as es_provisional,
        vendido_at,
        actualizado_at,
        cargado_at
    from claves

)

select * from final
