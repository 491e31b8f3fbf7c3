{#-
    Population rules (etl_config.yaml `population_rules`, passed to dbt as
    the var of the same name; defaults in dbt_project.yml):

        defaults:       {column: value}   fill a null column with a value
        default_dates:  [column, ...]     fill a null date column with the load time
        generated_ids:  {prefix: AUTO_}   fill a missing business key with
                                          prefix + a deterministic id

    Each populate_* macro renders two select-list items: the column, filled
    when the rule applies, and a boolean `<column>__poblado` that is true
    exactly on the rows it filled, so audit.audit_poblacion can count every
    populated value. A rule is keyed by the output column name: a model
    opts a column in by calling the macro; the value comes from the config.
    When the config has no rule for the column, the column passes through
    unchanged and its flag is false, so the model's columns never depend
    on the config.

    Only nulls are filled: normalise empty strings to null in the
    expression (e.g. nullif(trim(x), '')) before calling.
-#}


{#- population_rules(): the var, with missing sections as empty values. -#}
{% macro population_rules() %}
    {%- set reglas = var('population_rules', {}) or {} -%}
    {%- if reglas is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "population_rules must be a mapping, got: " ~ reglas
        ) }}
    {%- endif -%}
    {%- set ids = reglas.get('generated_ids') or {} -%}
    {%- set prefijo = ids.get('prefix', 'AUTO_') | string -%}
    {%- if not modules.re.match('^[A-Za-z0-9_-]+$', prefijo) -%}
        {{ exceptions.raise_compiler_error(
            "population_rules.generated_ids.prefix must be letters, digits, _ or -, got '"
            ~ prefijo ~ "'"
        ) }}
    {%- endif -%}
    {{ return({
        'defaults': reglas.get('defaults') or {},
        'default_dates': reglas.get('default_dates') or [],
        'prefix': prefijo
    }) }}
{% endmacro %}


{#- population_rule_name(column): the audit name of the rule that fills a
    column: valor_por_defecto, fecha_por_defecto or id_generado. -#}
{% macro population_rule_name(column) %}
    {%- set reglas = population_rules() -%}
    {%- if column in reglas.defaults -%}
        {{ return('valor_por_defecto') }}
    {%- elif column in reglas.default_dates -%}
        {{ return('fecha_por_defecto') }}
    {%- else -%}
        {{ return('id_generado') }}
    {%- endif -%}
{% endmacro %}


{#- A config value as a SQL literal: numbers as-is, anything else as text. -#}
{% macro _population_literal(value) -%}
    {%- if value is number and value is not boolean -%}
        {{ value }}
    {%- else -%}
        cast('{{ value | string | replace("'", "''") }}' as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{#-
    populate_default(column, expression=none)

    `column` gets population_rules.defaults[column] when null.
    expression: the SQL of the value (default: the column itself).
-#}
{% macro populate_default(column, expression=none) -%}
    {%- set valor = expression if expression is not none else column -%}
    {%- set reglas = population_rules() -%}
    {%- if column in reglas.defaults -%}
        coalesce({{ valor }}, {{ _population_literal(reglas.defaults[column]) }}) as {{ column }},
        ({{ valor }}) is null as {{ column }}__poblado
    {%- else -%}
        {{ valor }} as {{ column }},
        false as {{ column }}__poblado
    {%- endif -%}
{%- endmacro %}


{#-
    populate_default_date(column, loaded_at, expression=none)

    `column` gets the load time (loaded_at: SQL of a timestamp, normally
    load_id_to_timestamp('_dlt_load_id')) when null and listed in
    population_rules.default_dates.
-#}
{% macro populate_default_date(column, loaded_at, expression=none) -%}
    {%- set valor = expression if expression is not none else column -%}
    {%- if column in population_rules().default_dates -%}
        coalesce({{ valor }}, {{ loaded_at }}) as {{ column }},
        ({{ valor }}) is null as {{ column }}__poblado
    {%- else -%}
        {{ valor }} as {{ column }},
        false as {{ column }}__poblado
    {%- endif -%}
{%- endmacro %}


{#-
    generated_id(from_columns)

    The generated business key: the prefix of population_rules.generated_ids
    followed by
      - from_columns a list: the first 16 hex characters of
        surrogate_key(from_columns) (deterministic: a reload gives the same id);
      - from_columns a string: that SQL expression as text (e.g. the row's
        numeric id, for 'AUTO_1234').
-#}
{% macro generated_id(from_columns) -%}
    {%- set prefijo = population_rules().prefix -%}
    {%- if from_columns is string -%}
        {{ dbt.concat(["'" ~ prefijo ~ "'", 'cast(' ~ from_columns ~ ' as ' ~ dbt.type_string() ~ ')']) }}
    {%- else -%}
        {{ dbt.concat(["'" ~ prefijo ~ "'", 'substr(' ~ surrogate_key(from_columns) ~ ', 1, 16)']) }}
    {%- endif -%}
{%- endmacro %}


{#-
    populate_generated_id(column, from_columns, expression=none)

    `column` (a business key) gets generated_id(from_columns) when null.
-#}
{% macro populate_generated_id(column, from_columns, expression=none) -%}
    {%- set valor = expression if expression is not none else column -%}
    coalesce({{ valor }}, {{ generated_id(from_columns) }}) as {{ column }},
    ({{ valor }}) is null as {{ column }}__poblado
{%- endmacro %}
