{#-
    en_vigencia_scd2: every row's key points to a version of the SCD2
    dimension `to` whose published range contains the row's moment:
        valido_desde <= momento < valido_hasta
    so an analyst joining the fact to the dimension by business key and
    date, as the dimension's docs say, finds that same version. `momento`
    is a column of the tested model (a timestamp; `es_fecha: true` for a
    date, taken at its last second, as fact_inventario does). Keys that
    the dimension lacks are the `relationships` test's business, not this
    one's. Returns the rows whose version does not cover them.
-#}
{% test en_vigencia_scd2(model, column_name, to, momento, field=none, es_fecha=false) %}

    {%- set campo = field or column_name -%}
    {%- if es_fecha -%}
        {%- set instante = dbt.dateadd(
            'second', 86399, 'cast(hechos.' ~ momento ~ ' as ' ~ dbt.type_timestamp() ~ ')'
        ) -%}
    {%- else -%}
        {%- set instante = 'hechos.' ~ momento -%}
    {%- endif -%}

    select
        hechos.{{ column_name }} as clave,
        {{ instante }} as momento,
        versiones.valido_desde,
        versiones.valido_hasta
    from {{ model }} as hechos
    inner join {{ to }} as versiones
        on hechos.{{ column_name }} = versiones.{{ campo }}
    where
        {{ instante }} < versiones.valido_desde
        or {{ instante }} >= versiones.valido_hasta

{% endtest %}
