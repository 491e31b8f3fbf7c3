{#-
    combinacion_unica: no two rows share the same values in `columns`
    (a composite key). Nulls count as a value: two rows with the same
    non-null parts and a null in the same column are duplicates.
    Declared on a model (columns = the full key) or on a column (that
    column is added in front of `columns`).
    Returns one row per duplicated combination with its row count.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test combinacion_unica(model, columns=[], column_name=none) %}

    {%- set lista = [columns] if columns is string else (columns | list) -%}
    {%- if column_name is not none and column_name not in lista -%}
        {%- set lista = [column_name] + lista -%}
    {%- endif -%}
    {%- if lista | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "combinacion_unica: give the key columns in `columns`"
        ) }}
    {%- endif -%}
    {%- set clave = lista | join(", ") %}

    select
        {{ clave }},
        count(*) as n_filas
    from {{ model }}
    group by {{ clave }}
    having count(*) > 1

{% endtest %}
