{#-
    recuento_igual: reconciliation of row counts. The number of rows of
    the model (optionally filtered by `where`, see below) equals the number
    of rows of `compare_model` (optionally filtered by the SQL condition
    `compare_where`), within an absolute `tolerance` (rows) and/or a
    relative `tolerance_pct` (percent of the compared count); the larger
    allowance wins.
    Declared on a column, it counts that column's non-null values.
    Returns one row (both counts and the difference) when they differ.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test recuento_igual(
    model,
    compare_model,
    compare_where=none,
    tolerance=0,
    tolerance_pct=none,
    column_name=none
) %}

    {%- set contado = column_name if column_name is not none else "*" %}

    with

    recuento_modelo as (

        select count({{ contado }}) as n
        from {{ model }}

    ),

    recuento_comparado as (

        select count(*) as n
        from {{ compare_model }}
        {% if compare_where %}
        where {{ compare_where }}
        {% endif %}

    ),

    comparacion as (

        select
            recuento_modelo.n as recuento_modelo,
            recuento_comparado.n as recuento_comparado,
            recuento_modelo.n - recuento_comparado.n as diferencia
        from recuento_modelo
        cross join recuento_comparado

    )

    select *
    from comparacion
    where
        abs(diferencia) > {{ tolerance }}
        {% if tolerance_pct is not none %}
            and abs(diferencia)
            > {{ tolerance_pct }} / 100.0 * abs(recuento_comparado)
        {% endif %}

{% endtest %}
