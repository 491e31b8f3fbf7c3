{#-
    The order each Oro order line belongs to, through the Oro 6.1 link
    table oro_order_line_items: a line in a parent order and in its
    sub-order belongs to the sub-order (the latest one when several); a
    line in orders without sub-orders to the latest order. Links to an
    order that does not exist are ignored. One row per linked line.
    A table of its own (not a CTE of int_fact_ventas_oro) so that
    int_fact_ventas_oro joins it on its statistics: PostgreSQL cannot see the
    number of lines through the aggregate over the staging views and
    estimated 200, which inflated every join after it a hundredfold.
-#}

with

enlaces as (

    select * from {{ ref('stg_orocommerce__order_line_item_links') }}

),

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

final as (

    -- aggregates, not row_number() = 1: PostgreSQL estimates such a filter at one row
    -- and plans nested loops over the staging views
    select
        enlaces.linea_orden_id,
        coalesce(
            max(case when ordenes.orden_padre_id is not null then enlaces.orden_id end),
            max(enlaces.orden_id)
        ) as orden_id
    from enlaces
    inner join ordenes
        on enlaces.orden_id = ordenes.orden_id
    group by enlaces.linea_orden_id

)

select * from final
