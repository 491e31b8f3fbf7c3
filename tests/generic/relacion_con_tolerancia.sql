{#-
    relacion_con_tolerancia: like dbt's `relationships`, every non-null
    value of column_name exists in `field` of `to` - except the keys listed
    in `allowed_values` (unknown / not-applicable members such as -1 or
    'N/D'), which pass even when the parent does not hold them.
    Returns the orphan keys with their row counts.
    Optional `where`: dbt's standard test config (under `config:`; dbt
    also moves a `where` given under `arguments:` there) filters the
    tested model before the check.
-#}
{% test relacion_con_tolerancia(
    model,
    column_name,
    to,
    field,
    allowed_values=[]
) %}

    {#- numbers are pasted as they are, anything else as a quoted literal -#}
    {%- if allowed_values is string or allowed_values is number -%}
        {%- set permitidos = [allowed_values] -%}
    {%- else -%}
        {%- set permitidos = allowed_values | list -%}
    {%- endif -%}
    {%- set literales = [] -%}
    {%- for valor in permitidos -%}
        {%- if valor is number -%}
            {%- do literales.append(valor | string) -%}
        {%- else -%}
            {%- do literales.append(
                "'" ~ (valor | string | replace("'", "''")) ~ "'"
            ) -%}
        {%- endif -%}
    {%- endfor %}

    with

    hijos as (

        select {{ column_name }} as clave
        from {{ model }}
        where {{ column_name }} is not null

    ),

    padres as (

        select {{ field }} as clave
        from {{ to }}
        where {{ field }} is not null

    ),

    huerfanos as (

        select
            hijos.clave,
            count(*) as n_filas
        from hijos
        left join padres
            on hijos.clave = padres.clave
        where
            padres.clave is null
            {% if literales %}
                and hijos.clave not in ({{ literales | join(", ") }})
            {% endif %}
        group by hijos.clave

    )

    select * from huerfanos

{% endtest %}
