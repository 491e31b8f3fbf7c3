{#-
    no_negativo: no value of column_name is below zero (nulls and zero pass).
    Returns the offending rows' values.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test no_negativo(model, column_name) %}

    select {{ column_name }} as valor
    from {{ model }}
    where {{ column_name }} < 0

{% endtest %}
