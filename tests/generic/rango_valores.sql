{#-
    rango_valores: every non-null value of column_name lies within
    [min_value, max_value] (both inclusive). Either bound may be omitted,
    not both. Bounds are SQL expressions: numbers as-is, dates or strings
    as quoted literals, e.g. "cast('2024-01-01' as date)".
    Returns the offending rows' values.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test rango_valores(model, column_name, min_value=none, max_value=none) %}

    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            "rango_valores on " ~ column_name
            ~ ": give min_value, max_value or both"
        ) }}
    {%- endif %}

    with

    valores as (

        select {{ column_name }} as valor
        from {{ model }}
        where {{ column_name }} is not null

    ),

    fuera_de_rango as (

        select valor
        from valores
        where
            1 = 0
            {% if min_value is not none %}
                or valor < {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
                or valor > {{ max_value }}
            {% endif %}

    )

    select * from fuera_de_rango

{% endtest %}
