{#-
    analizar_tabla()

    Post-hook of every table dbt writes (dimensions, facts, audit, snapshots,
    seeds), dispatched: on PostgreSQL `analyze` the relation just written, so
    the models that join it next are planned with statistics (a new table has
    none until autovacuum gets to it, which after a bulk build is too late,
    and never on a server that runs without autovacuum). Nothing on DuckDB,
    which keeps its statistics as it writes.
-#}
{% macro analizar_tabla() %}
    {{ return(adapter.dispatch('analizar_tabla')()) }}
{% endmacro %}


{% macro postgres__analizar_tabla() -%}
    {#- a view (int_fact_ventas_lineas, under a folder whose tables are analyzed) has no statistics of its own -#}
    {%- if config.get('materialized') != 'view' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}


{% macro default__analizar_tabla() -%}
{%- endmacro %}
