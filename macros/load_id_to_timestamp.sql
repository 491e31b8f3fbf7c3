{#-
    load_id_to_timestamp(load_id_column='_dlt_load_id')

    dlt names every load by its start time in unix epoch seconds, as text
    (e.g. '1764271234.123456'). Returns that moment as a timestamp without
    time zone, in UTC, to the microsecond; null when the text is not a
    number. Used for `_cargado_at` and for the default dates of the
    population rules.
-#}
{% macro load_id_to_timestamp(load_id_column='_dlt_load_id') %}
    {{ return(adapter.dispatch('load_id_to_timestamp')(load_id_column)) }}
{% endmacro %}


{% macro duckdb__load_id_to_timestamp(load_id_column) -%}
    make_timestamp(
        cast(round({{ try_cast_text(load_id_column, 'decimal(20,6)') }} * 1000000) as bigint)
    )
{%- endmacro %}


{% macro postgres__load_id_to_timestamp(load_id_column) -%}
    (
        timestamp '1970-01-01 00:00:00'
        + cast(round({{ try_cast_text(load_id_column, 'decimal(20,6)') }} * 1000000) as bigint)
        * interval '1 microsecond'
    )
{%- endmacro %}


{#- Other adapters: whole seconds through dbt.dateadd. -#}
{% macro default__load_id_to_timestamp(load_id_column) -%}
    {{ dbt.dateadd(
        'second',
        'cast(' ~ try_cast_text(load_id_column, 'decimal(20,6)') ~ ' as bigint)',
        "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")"
    ) }}
{%- endmacro %}
