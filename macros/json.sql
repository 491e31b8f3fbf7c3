{#-
    json_extract_text(json_column, key)

    The value under a key of a JSON object stored as text (Oro's
    serialized_data and oro_tax_value.result arrive as JSON strings), as
    text. key is a top-level key ('internal_status') or a path of keys and
    array positions joined by dots ('row.taxAmount', 'taxes.0.rate').
    Null when the column is null, is not a JSON object, or has no such
    key. Meant for scalar values (strings, numbers, booleans).

    key is pasted into the SQL: each part must be a plain identifier
    (letters, digits, underscore).
-#}
{% macro json_extract_text(json_column, key) %}
    {%- if not modules.re.match('^[A-Za-z0-9_]+([.][A-Za-z0-9_]+)*$', key | string) -%}
        {{ exceptions.raise_compiler_error(
            "json_extract_text: key must be letters, digits or _ (parts of a path joined by dots), got '"
            ~ key ~ "'"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_extract_text')(json_column, key)) }}
{% endmacro %}


{#- The JSONPath of a dotted key: '$."row"."taxAmount"', '$."taxes"[0]."rate"'. -#}
{% macro json_path(key) -%}
    {%- set parts = [] -%}
    {%- for part in (key | string).split('.') -%}
        {%- do parts.append('[' ~ part ~ ']' if part.isdigit() else '."' ~ part ~ '"') -%}
    {%- endfor -%}
    ${{ parts | join('') }}
{%- endmacro %}


{#- DuckDB: json_valid guards against malformed text (json_extract_string would fail). -#}
{% macro duckdb__json_extract_text(json_column, key) -%}
    case
        when json_valid(cast({{ json_column }} as varchar))
            then json_extract_string(cast({{ json_column }} as varchar), '{{ json_path(key) }}')
    end
{%- endmacro %}


{#- PostgreSQL: only text that looks like an object is cast to jsonb. -#}
{% macro postgres__json_extract_text(json_column, key) -%}
    case
        when cast({{ json_column }} as text) ~ '^[[:space:]]*\{'
            then cast(cast({{ json_column }} as text) as jsonb) #>> '{ {{- key | replace('.', ',') -}} }'
    end
{%- endmacro %}


{#- Other adapters: the SQL:2016 json_value function. -#}
{% macro default__json_extract_text(json_column, key) -%}
    json_value({{ json_column }}, '{{ json_path(key) }}')
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


{#-
    importe_impuesto_oro(json_column, key)

    An amount of Oro's tax result (oro_tax_value.result) as decimal(19, 4):
    `key` (includingTax, excludingTax, taxAmount) of the entity's own
    element, `row` for an order line item or `total` for an order (a
    result holds one of the two). Null when missing or not a number.
-#}
{% macro importe_impuesto_oro(json_column, key) -%}
    {{ try_cast_text(
        'coalesce(' ~ json_extract_text(json_column, 'row.' ~ key) ~ ', '
        ~ json_extract_text(json_column, 'total.' ~ key) ~ ')',
        'decimal(19, 4)'
    ) }}
{%- endmacro %}
