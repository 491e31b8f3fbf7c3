{#-
    One product, one member (issue 8 item 3): the sales lines of one SKU,
    Oro and POS alike, point to one dim_producto member at a time. Before,
    a product deleted from Oro but still sold in stores split in two: its
    Oro lines under an inferred member AUTO_<id>, its POS lines under the
    ERP-only member of the SKU. Each (SKU, business key) is taken over the
    span of its sales (first to last sale moment); two business keys of one
    SKU whose spans overlap fail (an SKU that passed from one product to
    another, each sold under it in its own time, passes - also when the SKU
    moved during a day: a line carries the SKU it was sold under).
-#}
with

lineas as (

    select * from {{ ref('int_fact_ventas_lineas') }}

),

ventas as (

    select * from {{ ref('fact_ventas') }}

),

productos as (

    select * from {{ ref('dim_producto') }}

),

usos as (

    select
        lineas.sku,
        productos.producto_id,
        min(lineas.vendido_at) as primera_venta,
        max(lineas.vendido_at) as ultima_venta,
        count(*) as lineas
    from ventas
    inner join lineas
        on ventas.venta_id = lineas.venta_id
    inner join productos
        on ventas.producto_key = productos.producto_key
    where lineas.sku is not null
    group by lineas.sku, productos.producto_id

)

select
    uno.sku,
    uno.producto_id,
    otro.producto_id as otro_producto_id,
    uno.lineas,
    otro.lineas as otras_lineas
from usos as uno
inner join usos as otro
    on
        uno.sku = otro.sku
        and uno.producto_id < otro.producto_id
        and uno.primera_venta <= otro.ultima_venta
        and otro.primera_venta <= uno.ultima_venta
