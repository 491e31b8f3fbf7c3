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
    {%- do json_validar_clave('json_extract_text', key) -%}
    {#- json_leer's and json_campo's implementations for one key: one guard per adapter for both -#}
    {%- set leido = adapter.dispatch('json_leer')(json_column, [key]) -%}
    {{ return(adapter.dispatch('json_campo')('(' ~ leido ~ ')', [key], key)) }}
{% endmacro %}


{#- Stops the compilation unless key is a dotted path of plain identifiers (it is pasted into SQL). -#}
{% macro json_validar_clave(macro_name, key) %}
    {%- if not modules.re.match('^[A-Za-z0-9_]+([.][A-Za-z0-9_]+)*$', key | string) -%}
        {{ exceptions.raise_compiler_error(
            macro_name ~ ": key must be letters, digits or _ (parts of a path joined by dots), got '"
            ~ key ~ "'"
        ) }}
    {%- endif -%}
{% endmacro %}


{#- The JSONPath of a dotted key: '$."row"."taxAmount"', '$."taxes"[0]."rate"'. -#}
{% macro json_path(key) -%}
    {%- set parts = [] -%}
    {%- for part in (key | string).split('.') -%}
        {%- do parts.append('[' ~ part ~ ']' if part.isdigit() else '."' ~ part ~ '"') -%}
    {%- endfor -%}
    ${{ parts | join('') }}
{%- endmacro %}


{#-
    json_leer(json_column, keys) and json_campo(leido, keys, key)

    json_extract_text for many keys of the same JSON text, which is parsed
    once: json_leer is the expression of a CTE column (`leido`) holding the
    parsed text, json_campo the text under one of `keys` read from it:

        leido as (select *, {{ json_leer('result', claves) }} as _json from t),
        ... {{ json_campo('_json', claves, 'row.taxAmount') }} ...

    Same values as json_extract_text(json_column, key). DuckDB: one
    json_extract_string of the list of paths (a list of texts; 11 keys of
    oro_tax_value.result: 0.7 s instead of 4 s at scale 100); PostgreSQL:
    one cast to jsonb. The keys follow json_extract_text's rules; key must
    be one of keys.
-#}
{% macro json_leer(json_column, keys) %}
    {%- for key in keys -%}
        {%- do json_validar_clave('json_leer', key) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('json_leer')(json_column, keys)) }}
{% endmacro %}


{% macro json_campo(leido, keys, key) %}
    {%- if key not in keys -%}
        {{ exceptions.raise_compiler_error(
            "json_campo: '" ~ key ~ "' is not one of the keys read by json_leer: " ~ (keys | join(', '))
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_campo')(leido, keys, key)) }}
{% endmacro %}


{#- DuckDB: json_valid guards against malformed text (json_extract_string would fail). -#}
{% macro duckdb__json_leer(json_column, keys) -%}
    case
        when json_valid(cast({{ json_column }} as varchar))
            then json_extract_string(
                cast({{ json_column }} as varchar),
                [{% for key in keys %}'{{ json_path(key) }}'{{ ", " if not loop.last }}{% endfor %}]
            )
    end
{%- endmacro %}


{% macro duckdb__json_campo(leido, keys, key) -%}
    {{ leido }}[{{ keys.index(key) + 1 }}]
{%- endmacro %}


{#- PostgreSQL: only text that looks like an object is cast to jsonb. -#}
{% macro postgres__json_leer(json_column, keys) -%}
    case
        when cast({{ json_column }} as text) ~ '^[[:space:]]*\{'
            then cast(cast({{ json_column }} as text) as jsonb)
    end
{%- endmacro %}


{% macro postgres__json_campo(leido, keys, key) -%}
    {{ leido }} #>> '{ {{- key | replace('.', ',') -}} }'
{%- endmacro %}


{#- Other adapters: the text itself, read by the SQL:2016 json_value per key. -#}
{% macro default__json_leer(json_column, keys) -%}
    {{ json_column }}
{%- endmacro %}


{% macro default__json_campo(leido, keys, key) -%}
    json_value({{ leido }}, '{{ json_path(key) }}')
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
    importe_impuesto_oro(leido, keys, key)

    An amount of Oro's tax result (oro_tax_value.result) as decimal(19, 4):
    `key` (includingTax, excludingTax, taxAmount) of the entity's own
    element, `row` for an order line item or `total` for an order (a
    result holds one of the two). Null when missing or not a number.
    `leido` is the result read by json_leer with `keys`, which hold
    'row.<key>' and 'total.<key>'.
-#}
{% macro importe_impuesto_oro(leido, keys, key) -%}
    {{ try_cast_text(
        'coalesce(' ~ json_campo(leido, keys, 'row.' ~ key) ~ ', '
        ~ json_campo(leido, keys, 'total.' ~ key) ~ ')',
        'decimal(19, 4)'
    ) }}
{%- endmacro %}
