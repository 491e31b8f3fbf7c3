{#-
    date_spine(start_date, end_date)

    A select statement with one row per calendar day from start_date to
    end_date, both inclusive, in a single column `fecha` of type date.
    Both arguments are SQL expressions that evaluate to a date, for example
    "cast('2024-01-01' as date)". Use it as a subquery or a CTE body.

    PostgreSQL and DuckDB use their native generate_series; any other adapter
    falls back to default__, which cross-joins digits (up to 100,000 days,
    about 273 years) and adds them with dbt.dateadd.
-#}
{% macro date_spine(start_date, end_date) %}
    {{ return(adapter.dispatch('date_spine')(start_date, end_date)) }}
{% endmacro %}


{% macro postgres__date_spine(start_date, end_date) %}
    select cast(serie.dia as date) as fecha
    from generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as serie (dia)
{% endmacro %}


{% macro duckdb__date_spine(start_date, end_date) %}
    select cast(serie.dia as date) as fecha
    from generate_series(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    ) as serie (dia)
{% endmacro %}


{% macro default__date_spine(start_date, end_date) %}
    {%- set inicio = 'cast(' ~ start_date ~ ' as date)' %}
    with digitos as (
        select 0 as d union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6
        union all select 7 union all select 8 union all select 9
    ),

    desplazamientos as (
        select
            unidades.d
            + 10 * decenas.d
            + 100 * centenas.d
            + 1000 * millares.d
            + 10000 * decenas_millar.d as n
        from digitos as unidades
        cross join digitos as decenas
        cross join digitos as centenas
        cross join digitos as millares
        cross join digitos as decenas_millar
    ),

    dias as (
        select
            cast(
                {{ dbt.dateadd('day', 'desplazamientos.n', inicio) }}
                as date
            ) as fecha
        from desplazamientos
    )

    select dias.fecha
    from dias
    where dias.fecha <= cast({{ end_date }} as date)
{% endmacro %}
