{#-
    Stock on hand prepared for fact_inventario: one row per Oro inventory
    level (product x unit), placed in the central warehouse
    (int_fact_almacen_central: Oro community edition has no warehouse
    column), valued at the ERP unit cost (per primary unit) x the unit's
    conversion factor x quantity. Levels without a product or a quantity
    are rejected (motivo_rechazo). The source has no timestamps: the fact
    takes this as the stock of its snapshot day.
-#}

with

niveles_inventario as (

    select * from {{ ref('stg_orocommerce__inventory_levels') }}

),

precisiones as (

    select * from {{ ref('stg_orocommerce__product_unit_precisions') }}

),

productos as (

    select * from {{ ref('stg_orocommerce__products') }}

),

productos_erp as (

    select * from {{ ref('stg_csv__productos_erp') }}

),

almacen_central as (

    select * from {{ ref('int_fact_almacen_central') }}

),

final as (

    select
        cast(niveles_inventario.nivel_inventario_id as {{ dbt.type_string() }}) as nivel_inventario_id,
        cast(niveles_inventario.producto_id as {{ dbt.type_string() }}) as producto_id,
        almacen_central.almacen_codigo,
        precisiones.unidad_codigo,
        cast(niveles_inventario.cantidad as decimal(20, 4)) as cantidad,
        productos_erp.costo_unitario,
        cast(
            round(
                cast(niveles_inventario.cantidad as decimal(20, 4))
                * cast(coalesce(precisiones.factor_conversion, 1) as decimal(18, 6))
                * productos_erp.costo_unitario,
                4
            ) as decimal(19, 4)
        ) as valor_costo,
        case
            when niveles_inventario.producto_id is null then 'producto_nulo'
            when niveles_inventario.cantidad is null then 'cantidad_nula'
        end as motivo_rechazo
    from niveles_inventario
    left join precisiones
        on niveles_inventario.precision_unidad_id = precisiones.precision_unidad_id
    left join productos
        on niveles_inventario.producto_id = productos.producto_id
    left join productos_erp
        on productos.sku_mayusculas = upper(productos_erp.sku)
    left join almacen_central
        on 1 = 1

)

select * from final
