{#-
    suma_igual: reconciliation of totals. sum(column_name) over the model
    (optionally filtered by `where`, see below) equals
    sum(compare_expression) over `compare_model` (optionally filtered by
    the SQL condition `compare_where`) within an absolute `tolerance`
    (default 0.01) and/or a relative `tolerance_pct` (percent of the
    compared total); the larger allowance wins. Empty sides sum to 0.
    column_name and compare_expression may be SQL expressions.
    Returns one row (both totals and the difference) when they differ.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test suma_igual(
    model,
    column_name,
    compare_model,
    compare_expression=none,
    compare_where=none,
    tolerance=0.01,
    tolerance_pct=none
) %}

    {%- set expresion_comparada = compare_expression
        if compare_expression is not none else column_name %}

    with

    suma_modelo as (

        select coalesce(sum({{ column_name }}), 0) as total
        from {{ model }}

    ),

    suma_comparada as (

        select coalesce(sum({{ expresion_comparada }}), 0) as total
        from {{ compare_model }}
        {% if compare_where %}
        where {{ compare_where }}
        {% endif %}

    ),

    comparacion as (

        select
            suma_modelo.total as suma_modelo,
            suma_comparada.total as suma_comparada,
            suma_modelo.total - suma_comparada.total as diferencia
        from suma_modelo
        cross join suma_comparada

    )

    select *
    from comparacion
    where
        abs(diferencia) > {{ tolerance }}
        {% if tolerance_pct is not none %}
            and abs(diferencia)
            > {{ tolerance_pct }} / 100.0 * abs(suma_comparada)
        {% endif %}

{% endtest %}
