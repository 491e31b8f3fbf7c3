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
    Incremental by order: each input row carries a fingerprint (_firma,
    macro con_firma) and each line the combination of the fingerprints of
    the rows it was computed from (firma_entradas). A build recomputes every
    line of an order (its discount shares depend on its siblings) that has
    a line new, gone or with another firma_entradas than the stored one;
    the lines without an order are one group. Only the lookup columns the
    rule reads are fingerprinted for products, units, ERP costs, geography
    and the warehouse, so a reload of those tables with the same values
    recomputes nothing. A change of the rules themselves (this file, a
    macro, a var) is a change of the project: run_etl.py rebuilds it with
    --full-refresh then. On DuckDB only: on PostgreSQL the incremental query
    was planned slower than a full build (13 s against 7 at scale 10,
    benchmarks/README.md), so there it is a table rebuilt whole and
    firma_entradas is null.
-#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='venta_id',
    on_schema_change='fail',
    post_hook=["{{ borrar_claves_ausentes(ref('stg_orocommerce__order_line_items'), 'linea_orden_id', dbt.type_string(), clave='linea_origen_id') }}"]
) }}
{%- set tasa_iva = var('tasa_iva', 0.13) -%}
{#- incremental by order when the table holds the fingerprints to compare (one written by an
    older version has none: every line is computed, and the schema check reports the change) -#}
{%- set con_firmas = target.type == 'duckdb' -%}
{%- set por_orden = con_firmas and is_incremental() and 'firma_entradas' in (
    adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
) -%}
{%- set pasado_lejano = "cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")" -%}
{#- every row a line is computed from: joined by lineas_con_orden (all the columns) and by
    firmas_actuales (their fingerprints only), so both see the same rows -#}
{%- set entradas_de_linea -%}
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
{%- endset -%}
{%- set firmas_de_linea = [
    'lineas._firma', 'orden_de_linea._firma', 'ordenes._firma', 'direcciones._firma',
    'geografia_direcciones._firma', 'almacen_central._firma', 'productos._firma', 'precisiones._firma',
    'productos_erp._firma', 'descuento_por_linea._firma', 'descuento_por_orden._firma',
    'metodo_pago_de_orden._firma', 'impuesto_de_linea._firma'
] -%}

with

lineas as (

    {{ con_firma(ref('stg_orocommerce__order_line_items'), firmar=con_firmas) }}

),

ordenes as (

    {{ con_firma(ref('stg_orocommerce__orders'), firmar=con_firmas) }}

),

direcciones as (

    {{ con_firma(ref('stg_orocommerce__order_addresses'), firmar=con_firmas) }}

),

productos as (

    {{ con_firma(
        ref('stg_orocommerce__products'),
        'producto_id, sku, categoria_id, marca_id',
        firmar=con_firmas
    ) }}

),

precisiones as (

    {{ con_firma(
        ref('stg_orocommerce__product_unit_precisions'),
        'producto_id, unidad_codigo, factor_conversion',
        firmar=con_firmas
    ) }}

),

productos_erp as (

    {{ con_firma(ref('stg_csv__productos_erp'), 'sku, costo_unitario', firmar=con_firmas) }}

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

    {{ con_firma(
        ref('int_dim_geografia__direcciones'),
        'origen, direccion_id, pais_codigo, geografia_id',
        firmar=con_firmas
    ) }}

),

almacen_central as (

    {{ con_firma(ref('int_fact_almacen_central'), 'almacen_codigo', firmar=con_firmas) }}

),

orden_de_linea as (

    {{ con_firma(ref('int_fact_ventas_oro__orden_de_linea'), firmar=con_firmas) }}

),

valores_impuesto as (

    select * from {{ ref('stg_orocommerce__tax_values') }}
    where linea_orden_id is not null

),

-- one tax value per line: the latest
impuesto_de_linea_calculo as (

    {{ deduplicate('valores_impuesto', 'linea_orden_id', 'updated_at desc, valor_impuesto_id desc') }}

),

impuesto_de_linea as (

    {{ con_firma('impuesto_de_linea_calculo', firmar=con_firmas) }}

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

descuento_por_linea_calculo as (

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

descuento_por_linea as (

    {{ con_firma('descuento_por_linea_calculo', firmar=con_firmas) }}

),

descuento_por_orden_calculo as (

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

descuento_por_orden as (

    {{ con_firma('descuento_por_orden_calculo', firmar=con_firmas) }}

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

metodo_pago_de_orden_calculo as (

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

metodo_pago_de_orden as (

    {{ con_firma('metodo_pago_de_orden_calculo', firmar=con_firmas) }}

),

{% if por_orden -%}
-- the fingerprint of every line's inputs, narrow: joined before any wide column is read
firmas_actuales as (

    select
        lineas.linea_orden_id,
        ordenes.orden_id,
        {{ combinar_firmas(firmas_de_linea) }} as firma_entradas
    from lineas
    {{ entradas_de_linea }}

),

-- the lines new, gone or computed from other rows than the stored ones, with their orders
-- (now and as stored: a line that moved changes both); -1 is the group of the lines without one
cambios as (

    select
        case
            when actual.linea_orden_id is not null then coalesce(actual.orden_id, -1)
        end as grupo_actual,
        case
            when anterior.venta_id is not null then coalesce(anterior.orden_id, -1)
        end as grupo_anterior
    from firmas_actuales as actual
    full outer join {{ this }} as anterior
        on cast(actual.linea_orden_id as {{ dbt.type_string() }}) = anterior.linea_origen_id
    where
        actual.linea_orden_id is null
        or anterior.venta_id is null
        or actual.firma_entradas != anterior.firma_entradas

),

grupos_a_calcular as (

    select grupo_actual as grupo from cambios where grupo_actual is not null
    union
    select grupo_anterior as grupo from cambios where grupo_anterior is not null

),

{% endif -%}

-- the lines this build computes: all of them, or (incremental) every line of those orders,
-- since an order's discount shares depend on all its lines
lineas_a_calcular as (

    select lineas.*
    from lineas
    {%- if por_orden %}
    inner join firmas_actuales
        on lineas.linea_orden_id = firmas_actuales.linea_orden_id
    inner join grupos_a_calcular
        on coalesce(firmas_actuales.orden_id, -1) = grupos_a_calcular.grupo
    {%- endif %}

),

lineas_con_orden as (

    select
        lineas.linea_orden_id,
        ordenes.orden_id,
        {%- if con_firmas %}
            {{ combinar_firmas(firmas_de_linea) }} as firma_entradas,
        {%- else %}
            cast(null as {{ dbt.type_string() }}) as firma_entradas,
        {%- endif %}
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
    from lineas_a_calcular as lineas
    {{ entradas_de_linea }}

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
        end as motivo_rechazo,
        orden_id,
        firma_entradas
    from medidas

)

select * from final
