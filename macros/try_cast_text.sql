{#-
    try_cast_text(expression, data_type)

    Casts a text value to data_type, or null when it does not convert:
    the safe cast of the CSV columns (every raw CSV column is text and
    dirty). Surrounding spaces are ignored; an empty string is null.
    (Named try_cast_text, not safe_cast: dbt's own safe_cast is used by
    unit-test fixtures and must not be overridden.)

    The accepted spellings are the same on every adapter, so DuckDB and
    PostgreSQL return the same values:
      integer, smallint, bigint   optional sign and digits ('12.5' fails)
      decimal(p,s), numeric(p,s)  optional sign, digits, optional '.'
                                  fraction (no exponent, no thousands
                                  separator), rounded to s decimals, at
                                  most p-s integer digits
      double precision, double,   decimal or exponent notation
      float, real
      date                        YYYY-MM-DD, a real calendar day
      timestamp                   YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]
      boolean                     true/false, t/f, 1/0, si/sí/no, s/n,
                                  yes/no, y/n, verdadero/falso (any case)
      varchar, text               trimmed text, '' -> null
    DuckDB: a regular expression guard, then try_cast.
    PostgreSQL: the same guard (and a calendar check for dates), then cast.

    is_invalid_cast(expression, data_type) is true when the value is not
    empty but does not convert: the flag counted as a failed conversion.
-#}
{% macro try_cast_text(expression, data_type) %}
    {{ return(adapter.dispatch('try_cast_text')(expression, data_type)) }}
{% endmacro %}


{#-
    _cast_spec(data_type): {kind, sql_type, pattern} shared by the
    implementations. Raises a compiler error for a type it does not know.
-#}
{% macro _cast_spec(data_type) %}
    {%- set tipo = data_type | trim | lower -%}
    {%- set re = modules.re -%}
    {%- set decimal = re.match('^(decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$', tipo) -%}
    {%- set fecha = '[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' -%}
    {%- if tipo in ['varchar', 'text', 'string'] or tipo.startswith('varchar(') -%}
        {{ return({'kind': 'text', 'sql_type': tipo, 'pattern': none}) }}
    {%- elif tipo in ['boolean', 'bool'] -%}
        {{ return({'kind': 'boolean', 'sql_type': 'boolean', 'pattern': none}) }}
    {%- elif tipo in ['smallint', 'integer', 'int', 'bigint'] -%}
        {%- set digitos = {'smallint': 4, 'integer': 9, 'int': 9, 'bigint': 18}[tipo] -%}
        {{ return({
            'kind': 'integer',
            'sql_type': tipo,
            'pattern': '^[+-]?0*[0-9]{1,' ~ digitos ~ '}$'
        }) }}
    {%- elif decimal -%}
        {%- set precision = decimal.group(2) | int -%}
        {%- set escala = decimal.group(3) | int -%}
        {%- set enteros = precision - escala -%}
        {%- if enteros < 1 or escala > precision -%}
            {{ exceptions.raise_compiler_error(
                "try_cast_text: " ~ data_type ~ " needs at least one integer digit"
            ) }}
        {%- endif -%}
        {#- k-1 integer digits with any fraction, or k digits with at most s
            decimals: rounding to s decimals can never overflow -#}
        {%- set con_fraccion = '[0-9]{1,' ~ enteros ~ '}(\.[0-9]{0,' ~ escala ~ '})?' -%}
        {%- if enteros > 1 -%}
            {%- set con_fraccion = '[0-9]{1,' ~ (enteros - 1) ~ '}(\.[0-9]*)?|' ~ con_fraccion -%}
        {%- endif -%}
        {{ return({
            'kind': 'decimal',
            'sql_type': 'decimal(' ~ precision ~ ',' ~ escala ~ ')',
            'pattern': '^[+-]?0*(' ~ con_fraccion ~ '|\.[0-9]+)$'
        }) }}
    {%- elif tipo in ['double precision', 'double', 'float', 'float8', 'real'] -%}
        {{ return({
            'kind': 'double',
            'sql_type': 'double precision',
            'pattern': '^[+-]?([0-9]{1,30}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$'
        }) }}
    {%- elif tipo == 'date' -%}
        {{ return({'kind': 'date', 'sql_type': 'date', 'pattern': '^' ~ fecha ~ '$'}) }}
    {%- elif tipo in ['timestamp', 'timestamp without time zone'] -%}
        {{ return({
            'kind': 'timestamp',
            'sql_type': 'timestamp',
            'pattern': '^' ~ fecha
                ~ '([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?$'
        }) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "try_cast_text: unsupported data_type '" ~ data_type ~ "'"
        ) }}
    {%- endif -%}
{% endmacro %}


{#- The trimmed text of the value, '' as null. -#}
{% macro _cast_text_value(expression) -%}
    nullif(trim(cast({{ expression }} as varchar)), '')
{%- endmacro %}


{#- Boolean spellings: identical SQL on every adapter. -#}
{% macro _cast_boolean(expression) -%}
    case
        when lower({{ _cast_text_value(expression) }})
            in ('true', 't', '1', 'si', 'sí', 's', 'yes', 'y', 'verdadero', 'v')
            then true
        when lower({{ _cast_text_value(expression) }})
            in ('false', 'f', '0', 'no', 'n', 'falso')
            then false
    end
{%- endmacro %}


{% macro duckdb__try_cast_text(expression, data_type) -%}
    {%- set spec = _cast_spec(data_type) -%}
    {%- set valor = _cast_text_value(expression) -%}
    {%- if spec.kind == 'text' -%}
        {{ valor }}
    {%- elif spec.kind == 'boolean' -%}
        {{ _cast_boolean(expression) }}
    {%- else -%}
        case
            when regexp_full_match({{ valor }}, '{{ spec.pattern }}')
                then try_cast({{ valor }} as {{ spec.sql_type }})
        end
    {%- endif -%}
{%- endmacro %}


{% macro postgres__try_cast_text(expression, data_type) -%}
    {%- set spec = _cast_spec(data_type) -%}
    {%- set valor = _cast_text_value(expression) -%}
    {%- if spec.kind == 'text' -%}
        {{ valor }}
    {%- elif spec.kind == 'boolean' -%}
        {{ _cast_boolean(expression) }}
    {%- elif spec.kind in ['date', 'timestamp'] -%}
        {#- nested case: PostgreSQL does not promise the order of `and`,
            and the calendar check must only see well-formed text -#}
        {%- set anio = 'cast(substr(' ~ valor ~ ', 1, 4) as integer)' -%}
        {%- set mes = 'cast(substr(' ~ valor ~ ', 6, 2) as integer)' -%}
        {%- set dia = 'cast(substr(' ~ valor ~ ', 9, 2) as integer)' -%}
        case
            when {{ valor }} ~ '{{ spec.pattern }}'
                then case
                    when {{ dia }} <= case
                        when {{ mes }} = 2
                            then case
                                when ({{ anio }} % 4 = 0 and {{ anio }} % 100 <> 0)
                                    or {{ anio }} % 400 = 0
                                    then 29
                                else 28
                            end
                        when {{ mes }} in (4, 6, 9, 11) then 30
                        else 31
                    end
                        then cast({{ valor }} as {{ spec.sql_type }})
                end
        end
    {%- else -%}
        case
            when {{ valor }} ~ '{{ spec.pattern }}'
                then cast({{ valor }} as {{ spec.sql_type }})
        end
    {%- endif -%}
{%- endmacro %}


{#- Other adapters: dbt's own safe_cast (try_cast where the adapter has one). -#}
{% macro default__try_cast_text(expression, data_type) -%}
    {%- set spec = _cast_spec(data_type) -%}
    {%- if spec.kind == 'text' -%}
        {{ _cast_text_value(expression) }}
    {%- elif spec.kind == 'boolean' -%}
        {{ _cast_boolean(expression) }}
    {%- else -%}
        {{ dbt.safe_cast(_cast_text_value(expression), spec.sql_type) }}
    {%- endif -%}
{%- endmacro %}


{% macro is_invalid_cast(expression, data_type) -%}
    ({{ _cast_text_value(expression) }} is not null and {{ try_cast_text(expression, data_type) }} is null)
{%- endmacro %}
