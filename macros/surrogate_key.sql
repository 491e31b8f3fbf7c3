{#-
    surrogate_key(columns)

    Deterministic surrogate key: md5 (32 hex characters) of the parts cast
    to text, joined with '|', a null part written as '_nulo_'. The same
    parts give the same key on DuckDB and PostgreSQL as long as they are
    text, integers, dates, timestamps, booleans or fixed-scale decimals
    (floats print differently on some engines: cast them first).

    columns: a list of SQL expressions (column names or expressions).
-#}
{% macro surrogate_key(columns) -%}
    {%- if columns is string -%}
        {%- set columns = [columns] -%}
    {%- endif -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("surrogate_key: give at least one column") }}
    {%- endif -%}
    {%- set partes = [] -%}
    {%- for columna in columns -%}
        {%- do partes.append(
            "coalesce(cast(" ~ columna ~ " as " ~ dbt.type_string() ~ "), '_nulo_')"
        ) -%}
        {%- if not loop.last -%}
            {%- do partes.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(partes)) }}
{%- endmacro %}
