{#-
    The store or warehouse that holds the Oro stock and ships the Oro
    orders: OroCommerce community edition keeps one stock per product, with
    no warehouse. It is the sucursal named by var `almacen_central` when
    set, else the first warehouse (tipo `bodega`, lowest code) of
    sucursales.csv. One row; none when there is no warehouse (the facts then
    use the unknown member).
-#}
{%- set almacen_central = var('almacen_central', none) -%}
{%- if almacen_central is not none
    and not modules.re.match('^[A-Za-z0-9_-]+$', almacen_central | string) -%}
    {{ exceptions.raise_compiler_error(
        "var almacen_central must be a sucursal code (letters, digits, _ or -), got '"
        ~ almacen_central ~ "'"
    ) }}
{%- endif -%}

with

sucursales as (

    select * from {{ ref('stg_csv__sucursales') }}

),

final as (

    {% if almacen_central is not none -%}
        select cast('{{ almacen_central | string | upper }}' as {{ dbt.type_string() }}) as almacen_codigo
    {%- else -%}
        select min(sucursal_codigo) as almacen_codigo
        from sucursales
        where tipo = 'bodega'
        having count(*) > 0
    {%- endif %}

)

select * from final
