{#-
    int_dim_claves_referenciadas: every business key that a fact source
    references, one row per (dimension, tipo_clave, clave). The dimensions
    read it to add an inferred member (business key = prefix || clave,
    es_inferido = true) for each key they have not seen.

    tipo_clave says which column of the dimension the key is matched on:
      id      the dimension's source id (Oro / OroCRM ids as text)
      sku     dim_producto.sku (POS lines carry SKUs, not ids)
      email   dim_empleado.email (sales targets name the employee by email)
      codigo  the code that is the business key itself (currencies,
              channels, stores, statuses, units)
      clave   the composed business key (promotion|coupon)
    Null keys are left out: the facts send them to the unknown member.
-#}

with

lineas_orden as (

    select * from {{ ref('stg_orocommerce__order_line_items') }}

),

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

transacciones_pago as (

    select * from {{ ref('stg_orocommerce__payment_transactions') }}

),

niveles_inventario as (

    select * from {{ ref('stg_orocommerce__inventory_levels') }}

),

precisiones_unidad as (

    select * from {{ ref('stg_orocommerce__product_unit_precisions') }}

),

productos as (

    select * from {{ ref('stg_orocommerce__products') }}

),

promociones_aplicadas as (

    select * from {{ ref('stg_orocommerce__applied_promotions') }}

),

cupones_aplicados as (

    select * from {{ ref('stg_orocommerce__applied_promotion_coupons') }}

),

transacciones_tienda as (

    select * from {{ ref('stg_csv__transacciones_tienda') }}

),

metas_ventas as (

    select * from {{ ref('stg_csv__metas_ventas') }}

),

oportunidades as (

    select * from {{ ref('stg_orocrm__opportunities') }}

),

asociaciones_cliente as (

    select * from {{ ref('stg_orocrm__customer_associations') }}

),

-- the associations the opportunities point to: their account and Oro customer
asociaciones_de_oportunidades as (

    select
        asociaciones_cliente.cuenta_id,
        asociaciones_cliente.cliente_id
    from oportunidades
    inner join asociaciones_cliente
        on oportunidades.asociacion_cliente_id = asociaciones_cliente.asociacion_cliente_id

),

-- one promotion key per applied promotion: with its coupon when one was used
promociones_usadas as (

    select
        {{ clave_promocion(
            'promociones_aplicadas.promocion_id', 'cupones_aplicados.cupon_id'
        ) }} as clave
    from promociones_aplicadas
    left join cupones_aplicados
        on promociones_aplicadas.promocion_aplicada_id = cupones_aplicados.promocion_aplicada_id

),

referencias as (

    -- dim_cliente: Oro customer ids of orders, POS 'C…' codes and CRM associations
    select
        'cliente' as dimension,
        'id' as tipo_clave,
        cast(cliente_id as {{ dbt.type_string() }}) as clave
    from ordenes
    union all
    select
        'cliente' as dimension,
        'id' as tipo_clave,
        cast(cliente_id as {{ dbt.type_string() }}) as clave
    from transacciones_tienda
    union all
    select
        'cliente' as dimension,
        'id' as tipo_clave,
        cast(cliente_id as {{ dbt.type_string() }}) as clave
    from asociaciones_de_oportunidades

    -- dim_usuario_cliente: the buyer of orders and the owner of payments
    union all
    select
        'usuario_cliente' as dimension,
        'id' as tipo_clave,
        cast(usuario_cliente_id as {{ dbt.type_string() }}) as clave
    from ordenes
    union all
    select
        'usuario_cliente' as dimension,
        'id' as tipo_clave,
        cast(usuario_cliente_id as {{ dbt.type_string() }}) as clave
    from transacciones_pago

    -- dim_producto: ids of order lines and stock levels, SKUs of POS lines
    union all
    select
        'producto' as dimension,
        'id' as tipo_clave,
        cast(producto_id as {{ dbt.type_string() }}) as clave
    from lineas_orden
    union all
    select
        'producto' as dimension,
        'id' as tipo_clave,
        cast(producto_id as {{ dbt.type_string() }}) as clave
    from niveles_inventario
    union all
    select
        'producto' as dimension,
        'sku' as tipo_clave,
        cast(sku as {{ dbt.type_string() }}) as clave
    from transacciones_tienda

    -- dim_categoria, dim_marca: through the products the facts point to
    union all
    select
        'categoria' as dimension,
        'id' as tipo_clave,
        cast(categoria_id as {{ dbt.type_string() }}) as clave
    from productos
    union all
    select
        'marca' as dimension,
        'id' as tipo_clave,
        cast(marca_id as {{ dbt.type_string() }}) as clave
    from productos

    -- dim_unidad_medida: units of order lines and of stock levels
    union all
    select
        'unidad_medida' as dimension,
        'codigo' as tipo_clave,
        cast(unidad_codigo as {{ dbt.type_string() }}) as clave
    from lineas_orden
    union all
    select
        'unidad_medida' as dimension,
        'codigo' as tipo_clave,
        cast(unidad_codigo as {{ dbt.type_string() }}) as clave
    from precisiones_unidad

    -- dim_sitio_web
    union all
    select
        'sitio_web' as dimension,
        'id' as tipo_clave,
        cast(sitio_web_id as {{ dbt.type_string() }}) as clave
    from ordenes

    -- dim_canal: the channel codes of the sales targets
    union all
    select
        'canal' as dimension,
        'codigo' as tipo_clave,
        cast(canal as {{ dbt.type_string() }}) as clave
    from metas_ventas

    -- dim_moneda: every currency a money measure comes in
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from ordenes
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from lineas_orden
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from transacciones_pago
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from transacciones_tienda
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from oportunidades
    union all
    select
        'moneda' as dimension,
        'codigo' as tipo_clave,
        cast(moneda as {{ dbt.type_string() }}) as clave
    from metas_ventas

    -- dim_estado_orden: the internal status of the orders
    union all
    select
        'estado_orden' as dimension,
        'codigo' as tipo_clave,
        cast(estado_interno as {{ dbt.type_string() }}) as clave
    from ordenes

    -- dim_promocion: promotions (and coupons) applied to orders
    union all
    select
        'promocion' as dimension,
        'clave' as tipo_clave,
        cast(clave as {{ dbt.type_string() }}) as clave
    from promociones_usadas

    -- dim_almacen: stores of POS lines and of sales targets
    union all
    select
        'almacen' as dimension,
        'codigo' as tipo_clave,
        cast(sucursal_codigo as {{ dbt.type_string() }}) as clave
    from transacciones_tienda
    union all
    select
        'almacen' as dimension,
        'codigo' as tipo_clave,
        cast(sucursal_codigo as {{ dbt.type_string() }}) as clave
    from metas_ventas

    -- dim_empleado: owners of orders, payments and opportunities; target holders by email
    union all
    select
        'empleado' as dimension,
        'id' as tipo_clave,
        cast(usuario_propietario_id as {{ dbt.type_string() }}) as clave
    from ordenes
    union all
    select
        'empleado' as dimension,
        'id' as tipo_clave,
        cast(usuario_propietario_id as {{ dbt.type_string() }}) as clave
    from transacciones_pago
    union all
    select
        'empleado' as dimension,
        'id' as tipo_clave,
        cast(usuario_propietario_id as {{ dbt.type_string() }}) as clave
    from oportunidades
    union all
    select
        'empleado' as dimension,
        'email' as tipo_clave,
        cast(empleado_email as {{ dbt.type_string() }}) as clave
    from metas_ventas

    -- dim_cuenta, dim_contacto, dim_estado_oportunidad: the CRM pipeline
    union all
    select
        'cuenta' as dimension,
        'id' as tipo_clave,
        cast(cuenta_id as {{ dbt.type_string() }}) as clave
    from asociaciones_de_oportunidades
    union all
    select
        'contacto' as dimension,
        'id' as tipo_clave,
        cast(contacto_id as {{ dbt.type_string() }}) as clave
    from oportunidades
    union all
    select
        'estado_oportunidad' as dimension,
        'codigo' as tipo_clave,
        cast(estado as {{ dbt.type_string() }}) as clave
    from oportunidades

),

final as (

    select distinct
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(tipo_clave as {{ dbt.type_string() }}) as tipo_clave,
        clave
    from referencias
    where clave is not null

)

select * from final
