{#-
    json_extract_text(json_column, key)

    The value under a top-level key of a JSON object stored as text (Oro's
    serialized_data arrives as a JSON string), as text. Null when the
    column is null, is not a JSON object, or has no such key. Meant for
    scalar values (strings, numbers, booleans).

    key is pasted into the SQL: it must be a plain identifier
    (letters, digits, underscore), e.g. 'internal_status', 'shippingStatus'.
-#}
{% macro json_extract_text(json_column, key) %}
    {%- if not modules.re.match('^[A-Za-z0-9_]+$', key | string) -%}
        {{ exceptions.raise_compiler_error(
            "json_extract_text: key must be letters, digits or _, got '" ~ key ~ "'"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_extract_text')(json_column, key)) }}
{% endmacro %}


{#- DuckDB: json_valid guards against malformed text (json_extract_string would fail). -#}
{% macro duckdb__json_extract_text(json_column, key) -%}
    case
        when json_valid(cast({{ json_column }} as varchar))
            then json_extract_string(cast({{ json_column }} as varchar), '$."{{ key }}"')
    end
{%- endmacro %}


{#- PostgreSQL: only text that looks like an object is cast to jsonb. -#}
{% macro postgres__json_extract_text(json_column, key) -%}
    case
        when cast({{ json_column }} as text) ~ '^[[:space:]]*\{'
            then cast(cast({{ json_column }} as text) as jsonb) ->> '{{ key }}'
    end
{%- endmacro %}


{#- Other adapters: the SQL:2016 json_value function. -#}
{% macro default__json_extract_text(json_column, key) -%}
    json_value({{ json_column }}, '$."{{ key }}"')
{%- endmacro %}


{#-
    oro_enum_code(json_column, key)

    Oro 6.x keeps the selected option of an enum field in serialized_data
    as '<enum_code>.<internal_id>' (e.g. 'order_internal_status.open').
    Returns the internal id ('open'): the text after the first dot, or the
    whole value when it has no dot; null when the key is missing or empty.
    Join it to stg_*__enum_options on (enum_codigo, opcion_codigo).
-#}
{% macro oro_enum_code(json_column, key) -%}
    {%- set valor = json_extract_text(json_column, key) | trim -%}
    nullif(substr({{ valor }}, strpos({{ valor }}, '.') + 1), '')
{%- endmacro %}
