{#-
    deduplicate(relation, partition_by, order_by)

    One row per value of partition_by (a comma-separated list of columns):
    the first row in order_by order, e.g.
        deduplicate('renombrado', 'orden_id', 'updated_at desc, _cargado_at desc')
    relation is a CTE name or a relation. Null keys count as one value.
    PostgreSQL uses `distinct on`, DuckDB `qualify row_number()` (the
    output has exactly the input's columns in both); other adapters get
    row_number() and an extra column `_fila_dedup`.
-#}
{% macro deduplicate(relation, partition_by, order_by) %}
    {{ return(adapter.dispatch('deduplicate')(relation, partition_by, order_by)) }}
{% endmacro %}


{% macro postgres__deduplicate(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}


{#-
    DuckDB: `qualify row_number()`, not `distinct on`. DuckDB runs `distinct on ... order by`
    as a hash group by with an arg_min of every column under a sort key; the window ranks only
    the keys and the order columns: 3.6 s -> 0.9 s for stg_orocommerce__order_line_items at
    scale 100 (benchmarks/README.md, "Staging that is computed once"). Same rows, same columns out.
-#}
{% macro duckdb__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}


{% macro default__deduplicate(relation, partition_by, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _fila_dedup
        from {{ relation }}
    ) as numerado
    where _fila_dedup = 1
{%- endmacro %}
