{#-
    fact_inventario, latest snapshot day, against the staged stock levels:
    loaded + rejected = staged (rows), and the quantities add up. Fails with
    one row holding both sides when they differ. (Earlier days are history:
    they are not compared with today's source.)
-#}
{{ config(tags=['reconciliacion']) }}

with

inventario as (

    select * from {{ ref('fact_inventario') }}

),

origen as (

    select
        count(*) as filas,
        coalesce(sum(cantidad), 0) as cantidad
    from {{ ref('stg_orocommerce__inventory_levels') }}

),

dia_mas_reciente as (

    select max(fecha_key) as fecha_key
    from inventario

),

ultimo_dia as (

    select
        count(*) as filas,
        coalesce(sum(inventario.cantidad), 0) as cantidad
    from inventario
    inner join dia_mas_reciente
        on inventario.fecha_key = dia_mas_reciente.fecha_key

),

rechazados as (

    select count(*) as filas
    from {{ ref('int_fact_rechazos') }}
    where hecho = 'fact_inventario'

),

cantidad_rechazada as (

    select coalesce(sum(cantidad), 0) as cantidad
    from {{ ref('int_fact_inventario') }}
    where motivo_rechazo is not null

)

select
    origen.filas as filas_origen,
    ultimo_dia.filas as filas_hecho,
    rechazados.filas as filas_rechazadas,
    origen.cantidad as cantidad_origen,
    ultimo_dia.cantidad as cantidad_hecho
from origen
cross join ultimo_dia
cross join rechazados
cross join cantidad_rechazada
where
    origen.filas != ultimo_dia.filas + rechazados.filas
    or abs(origen.cantidad - ultimo_dia.cantidad - cantidad_rechazada.cantidad) > 0.0001
