{#-
    Oro order lines prepared for fact_ventas: one row per order line item,
    with the business keys of every dimension, the measures in the order
    currency, the update cursor and, for lines that cannot be loaded, the
    reason (motivo_rechazo). Rules (see _int_fact__models.yml):
      - order: Oro 6.1 links a line to its order through
        oro_order_line_items; a line linked to a parent order and to a
        sub-order counts once, in the sub-order (the order that ships it):
        int_fact_ventas_oro__orden_de_linea;
      - channel: `web` when the order came from a storefront checkout,
        `televentas` when a back-office user entered it;
      - discount: the line's own promotion discounts plus its share (by
        gross amount) of the order-level promotion discounts and manual
        order discounts; shipping promotions discount shipping, not lines;
      - tax: the line's row tax as Oro calculated it (oro_tax_value,
        origen_impuesto 'oro_tax_value'; precio_incluye_impuesto when the
        row's amount with tax is the line's gross amount); for a line
        without a tax value, the fallback rule (origen_impuesto
        'regla_iva'): prices include IVA (13 %, var tasa_iva) on sales
        shipped to El Salvador, monto_impuesto is the IVA inside
        monto_neto; 0 elsewhere.
-#}
{%- set tasa_iva = var('tasa_iva', 0.13) -%}
{%- set pasado_lejano = "cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")" -%}

with

lineas as (

    select * from {{ ref('stg_orocommerce__order_line_items') }}

),

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

direcciones as (

    select * from {{ ref('stg_orocommerce__order_addresses') }}

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

promociones_aplicadas as (

    select * from {{ ref('stg_orocommerce__applied_promotions') }}

),

descuentos_aplicados as (

    select * from {{ ref('stg_orocommerce__applied_promotion_discounts') }}

),

descuentos_orden as (

    select * from {{ ref('stg_orocommerce__order_discounts') }}

),

cupones_aplicados as (

    select * from {{ ref('stg_orocommerce__applied_promotion_coupons') }}

),

transacciones as (

    select * from {{ ref('stg_orocommerce__payment_transactions') }}

),

geografia_direcciones as (

    select * from {{ ref('int_dim_geografia__direcciones') }}

),

almacen_central as (

    select * from {{ ref('int_fact_almacen_central') }}

),

orden_de_linea as (

    select * from {{ ref('int_fact_ventas_oro__orden_de_linea') }}

),

valores_impuesto as (

    select * from {{ ref('stg_orocommerce__tax_values') }}
    where linea_orden_id is not null

),

-- one tax value per line: the latest
impuesto_de_linea as (

    {{ deduplicate('valores_impuesto', 'linea_orden_id', 'updated_at desc, valor_impuesto_id desc') }}

),

cupon_de_promocion as (

    select
        promocion_aplicada_id,
        min(cupon_id) as cupon_id
    from cupones_aplicados
    group by promocion_aplicada_id

),

descuentos_promocion as (

    select
        descuentos_aplicados.linea_orden_id,
        promociones_aplicadas.orden_id,
        {{ clave_promocion(
            'promociones_aplicadas.promocion_id', 'cupon_de_promocion.cupon_id'
        ) }} as promocion_clave,
        descuentos_aplicados.monto,
        greatest(descuentos_aplicados.updated_at, promociones_aplicadas.updated_at) as updated_at,
        greatest(descuentos_aplicados._cargado_at, promociones_aplicadas._cargado_at) as cargado_at
    from descuentos_aplicados
    inner join promociones_aplicadas
        on descuentos_aplicados.promocion_aplicada_id = promociones_aplicadas.promocion_aplicada_id
    left join cupon_de_promocion
        on promociones_aplicadas.promocion_aplicada_id = cupon_de_promocion.promocion_aplicada_id
    where
        promociones_aplicadas.es_activa
        and not coalesce(promociones_aplicadas.es_eliminada, false)
        and coalesce(promociones_aplicadas.tipo, '') != 'shipping'

),

descuentos_de_linea as (

    select
        linea_orden_id,
        sum(monto) as monto_descuento_linea,
        max(monto) as monto_mayor,
        max(updated_at) as updated_at,
        max(cargado_at) as cargado_at
    from descuentos_promocion
    where linea_orden_id is not null
    group by linea_orden_id

),

descuento_por_linea as (

    -- the promotion of a line: the one that discounts it most (ties: the lowest key)
    select
        descuentos_de_linea.linea_orden_id,
        descuentos_de_linea.monto_descuento_linea,
        descuentos_de_linea.updated_at,
        descuentos_de_linea.cargado_at,
        min(descuentos_promocion.promocion_clave) as promocion_clave
    from descuentos_de_linea
    inner join descuentos_promocion
        on
            descuentos_de_linea.linea_orden_id = descuentos_promocion.linea_orden_id
            and descuentos_de_linea.monto_mayor = descuentos_promocion.monto
    group by
        descuentos_de_linea.linea_orden_id,
        descuentos_de_linea.monto_descuento_linea,
        descuentos_de_linea.updated_at,
        descuentos_de_linea.cargado_at

),

descuento_por_orden as (

    -- order-level promotion discounts (no line) and manual order discounts
    select
        orden_id,
        sum(monto) as monto_descuento_orden,
        max(promocion_clave) as promocion_clave,
        max(updated_at) as updated_at,
        max(cargado_at) as cargado_at
    from (
        select
            orden_id,
            monto,
            promocion_clave,
            updated_at,
            cargado_at
        from descuentos_promocion
        where linea_orden_id is null
        union all
        select
            orden_id,
            monto,
            cast(null as {{ dbt.type_string() }}) as promocion_clave,
            cast(null as {{ dbt.type_timestamp() }}) as updated_at,
            -- manual discounts are extracted whole every run: their load time says nothing
            cast(null as {{ dbt.type_timestamp() }}) as cargado_at
        from descuentos_orden
    ) as descuentos
    group by orden_id

),

transacciones_de_orden as (

    select
        orden_id,
        min(transaccion_pago_id) as primera_transaccion_id,
        max(updated_at) as updated_at,
        max(_cargado_at) as cargado_at
    from transacciones
    where orden_id is not null
    group by orden_id

),

metodo_pago_de_orden as (

    -- the payment method of an order: the one of its first transaction
    select
        transacciones_de_orden.orden_id,
        transacciones.metodo_pago,
        transacciones_de_orden.updated_at,
        transacciones_de_orden.cargado_at
    from transacciones_de_orden
    inner join transacciones
        on transacciones_de_orden.primera_transaccion_id = transacciones.transaccion_pago_id

),

lineas_con_orden as (

    select
        lineas.linea_orden_id,
        ordenes.orden_id,
        ordenes.numero_orden,
        ordenes.created_at as vendido_at,
        ordenes.cliente_id,
        ordenes.usuario_cliente_id,
        ordenes.sitio_web_id,
        ordenes.usuario_propietario_id,
        ordenes.origen_entidad_clase,
        ordenes.estado_interno,
        case
            when lineas.metodo_envio is not null
                then {{ clave_metodo_envio('lineas.metodo_envio', 'lineas.tipo_metodo_envio') }}
            else {{ clave_metodo_envio('ordenes.metodo_envio', 'ordenes.tipo_metodo_envio') }}
        end as metodo_envio_clave,
        coalesce(ordenes.moneda, lineas.moneda) as moneda,
        geografia_direcciones.pais_codigo,
        geografia_direcciones.geografia_id,
        almacen_central.almacen_codigo,
        lineas.producto_id,
        coalesce(lineas.sku, productos.sku) as sku,
        productos.categoria_id,
        productos.marca_id,
        lineas.unidad_codigo,
        cast(coalesce(precisiones.factor_conversion, 1) as decimal(18, 6)) as factor_conversion,
        productos_erp.costo_unitario,
        cast(lineas.cantidad as decimal(18, 4)) as cantidad,
        lineas.precio_unitario,
        cast(lineas.precio_unitario * cast(lineas.cantidad as decimal(18, 4)) as decimal(19, 4)) as monto_bruto,
        coalesce(descuento_por_linea.monto_descuento_linea, 0) as monto_descuento_linea,
        coalesce(descuento_por_orden.monto_descuento_orden, 0) as monto_descuento_orden,
        coalesce(descuento_por_linea.promocion_clave, descuento_por_orden.promocion_clave) as promocion_clave,
        metodo_pago_de_orden.metodo_pago,
        impuesto_de_linea.monto_impuesto as monto_impuesto_oro,
        impuesto_de_linea.monto_con_impuesto as monto_con_impuesto_oro,
        greatest(
            lineas.updated_at,
            coalesce(ordenes.updated_at, {{ pasado_lejano }}),
            coalesce(direcciones.updated_at, {{ pasado_lejano }}),
            coalesce(descuento_por_linea.updated_at, {{ pasado_lejano }}),
            coalesce(descuento_por_orden.updated_at, {{ pasado_lejano }}),
            coalesce(metodo_pago_de_orden.updated_at, {{ pasado_lejano }}),
            coalesce(impuesto_de_linea.updated_at, {{ pasado_lejano }})
        ) as actualizado_at,
        -- the load clock (the order-line link table is extracted whole every run: left out)
        greatest(
            lineas._cargado_at,
            coalesce(ordenes._cargado_at, {{ pasado_lejano }}),
            coalesce(direcciones._cargado_at, {{ pasado_lejano }}),
            coalesce(descuento_por_linea.cargado_at, {{ pasado_lejano }}),
            coalesce(descuento_por_orden.cargado_at, {{ pasado_lejano }}),
            coalesce(metodo_pago_de_orden.cargado_at, {{ pasado_lejano }}),
            coalesce(impuesto_de_linea._cargado_at, {{ pasado_lejano }})
        ) as cargado_at
    from lineas
    left join orden_de_linea
        on lineas.linea_orden_id = orden_de_linea.linea_orden_id
    left join ordenes
        on orden_de_linea.orden_id = ordenes.orden_id
    left join direcciones
        on ordenes.direccion_envio_id = direcciones.direccion_orden_id
    left join geografia_direcciones
        on
            geografia_direcciones.origen = 'orden'
            and cast(ordenes.direccion_envio_id as {{ dbt.type_string() }}) = geografia_direcciones.direccion_id
    -- a left join: no warehouse in sucursales.csv -> null -> the unknown member
    left join almacen_central
        on 1 = 1
    left join productos
        on lineas.producto_id = productos.producto_id
    left join precisiones
        on
            lineas.producto_id = precisiones.producto_id
            and lineas.unidad_codigo = precisiones.unidad_codigo
    left join productos_erp
        on upper(coalesce(productos.sku, lineas.sku)) = upper(productos_erp.sku)
    left join descuento_por_linea
        on lineas.linea_orden_id = descuento_por_linea.linea_orden_id
    left join descuento_por_orden
        on ordenes.orden_id = descuento_por_orden.orden_id
    left join metodo_pago_de_orden
        on ordenes.orden_id = metodo_pago_de_orden.orden_id
    left join impuesto_de_linea
        on lineas.linea_orden_id = impuesto_de_linea.linea_orden_id

),

reparto as (

    -- running gross amount of the order, in line id order, to share the order discount
    select
        *,
        sum(coalesce(monto_bruto, 0)) over (
            partition by orden_id order by linea_orden_id
            rows between unbounded preceding and current row
        ) as bruto_acumulado,
        sum(coalesce(monto_bruto, 0)) over (partition by orden_id) as bruto_orden,
        row_number() over (partition by orden_id order by linea_orden_id) as linea
    from lineas_con_orden

),

medidas as (

    select
        *,
        -- the share of the order discount up to this line minus the share before it:
        -- the shares of an order add up exactly to its discount
        monto_descuento_linea
        + case
            when bruto_orden = 0 or orden_id is null then 0
            else
                round(monto_descuento_orden * bruto_acumulado / bruto_orden, 4)
                - round(monto_descuento_orden * (bruto_acumulado - coalesce(monto_bruto, 0)) / bruto_orden, 4)
        end as monto_descuento
    from reparto

),

final as (

    select
        'oro' as origen,
        {{ dbt.concat(["'oro|'", 'cast(linea_orden_id as ' ~ dbt.type_string() ~ ')']) }} as venta_id,
        cast(linea_orden_id as {{ dbt.type_string() }}) as linea_origen_id,
        numero_orden as numero_documento,
        cast(linea as integer) as linea,
        vendido_at,
        {{ fecha_local('vendido_at') }} as fecha_venta,
        cast(cliente_id as {{ dbt.type_string() }}) as cliente_id,
        cast(usuario_cliente_id as {{ dbt.type_string() }}) as usuario_cliente_id,
        cast(producto_id as {{ dbt.type_string() }}) as producto_id,
        sku,
        cast(categoria_id as {{ dbt.type_string() }}) as categoria_id,
        cast(marca_id as {{ dbt.type_string() }}) as marca_id,
        unidad_codigo,
        cast(sitio_web_id as {{ dbt.type_string() }}) as sitio_web_id,
        {{ canal_de_orden('origen_entidad_clase') }} as canal_codigo,
        geografia_id,
        moneda,
        estado_interno as estado_orden_codigo,
        metodo_pago as metodo_pago_codigo,
        metodo_envio_clave,
        promocion_clave,
        almacen_codigo,
        cast(usuario_propietario_id as {{ dbt.type_string() }}) as empleado_id,
        cantidad,
        precio_unitario,
        monto_bruto,
        cast(monto_descuento as decimal(19, 4)) as monto_descuento,
        cast(monto_bruto - monto_descuento as decimal(19, 4)) as monto_neto,
        cast(
            case
                when monto_impuesto_oro is not null then monto_impuesto_oro
                when coalesce(pais_codigo, 'SV') = 'SV'
                    then round((monto_bruto - monto_descuento) * {{ tasa_iva }} / (1 + {{ tasa_iva }}), 4)
                else 0
            end as decimal(19, 4)
        ) as monto_impuesto,
        case when monto_impuesto_oro is not null then 'oro_tax_value' else 'regla_iva' end as origen_impuesto,
        -- the rule (and a tax value without its amount with tax) assumes prices include tax
        coalesce(abs(monto_con_impuesto_oro - monto_bruto) < 0.005, true) as precio_incluye_impuesto,
        cast(round(costo_unitario * factor_conversion * cantidad, 4) as decimal(19, 4)) as costo_total,
        actualizado_at,
        cargado_at,
        case
            when orden_id is null then 'linea_sin_orden'
            when cantidad is null then 'cantidad_nula'
            when precio_unitario is null then 'precio_nulo'
        end as motivo_rechazo
    from medidas

)

select * from final
