{#-
    The value rules of the CSV staging models (models/staging/csv/base/):
    each base model keeps every raw line and says why a line is not staged,
    so that good + rejected + duplicates = input lines.

    motivo_conversion(expression, data_type, invalido, vacio=none)
        The reason a text value is not usable as data_type, or null:
          - empty (or spaces) -> `vacio` (when given; else an empty value
            passes and is null downstream);
          - does not convert (try_cast_text) -> `invalido` || ': ' || the
            trimmed text (its first 60 characters), e.g.
            `fecha inválida: 2026-02-30`.
        invalido and vacio are plain text (quoted here).

    marcar_rechazos(relation, clave, valores)
        Every row of relation (a CTE with `_source_file`, `_source_line`,
        the loader's `_rechazo` and `_motivo_valor`: the loader's reason or
        the first value rule the line breaks, null when it breaks none) plus:
          _huella            hash of the `valores` columns (the typed data);
          _fila_clave        position of the line among the lines with the
                             same `clave` that break no value rule, in file
                             then line order (null for a line that breaks one);
          _linea_conservada  `<file>:<line>` of the first of those lines;
          _huella_conservada the `_huella` of that line;
          _tipo_rechazo      null (staged), `malformada` (the loader could
                             not split it), `valor` (breaks a value rule)
                             or `duplicado`;
          _motivo_rechazo    the reason: `_motivo_valor`, `duplicado` (the
                             same data as the kept line) or `duplicado con
                             valores distintos` (same key, other data).
        The rule for a repeated key: the first line by file and line is
        kept, every later one is rejected (never "the last one wins");
        the order does not depend on load times, so an incremental run and
        a full refresh keep the same line.
        clave and valores: lists of column names (null keys count as one
        value).

    orden_binario(expression)
        The expression for an `order by` in byte order, the same on every
        adapter (PostgreSQL: `collate "C"`, whatever the database's locale;
        DuckDB already compares bytes). Dispatched.
-#}
{% macro motivo_conversion(expression, data_type, invalido, vacio=none) -%}
    case
        {%- if vacio is not none %}
            when {{ _cast_text_value(expression) }} is null
                then '{{ vacio }}'
        {%- endif %}
        when {{ is_invalid_cast(expression, data_type) }}
            then {{ dbt.concat(["'" ~ invalido ~ ": '", 'substr(' ~ _cast_text_value(expression) ~ ', 1, 60)']) }}
    end
{%- endmacro %}


{% macro marcar_rechazos(relation, clave, valores) -%}
    {%- set particion = (clave | join(', ')) ~ ', (_motivo_valor is null)' -%}
    {%- set orden = orden_binario('_source_file') ~ ', _source_line' -%}
    select
        huellas.*,
        case
            when huellas._rechazo is not null then 'malformada'
            when huellas._motivo_valor is not null then 'valor'
            when huellas._fila_clave > 1 then 'duplicado'
        end as _tipo_rechazo,
        case
            when huellas._motivo_valor is not null then huellas._motivo_valor
            when huellas._fila_clave > 1 and huellas._huella = huellas._huella_conservada
                then 'duplicado'
            when huellas._fila_clave > 1 then 'duplicado con valores distintos'
        end as _motivo_rechazo
    from (
        select
            con_huella.*,
            case
                when con_huella._motivo_valor is null
                    then row_number() over (partition by {{ particion }} order by {{ orden }})
            end as _fila_clave,
            case
                when con_huella._motivo_valor is null
                    then first_value(
                        {{ dbt.concat(['_source_file', "':'", 'cast(_source_line as ' ~ dbt.type_string() ~ ')']) }}
                    ) over (partition by {{ particion }} order by {{ orden }})
            end as _linea_conservada,
            first_value(con_huella._huella) over (partition by {{ particion }} order by {{ orden }})
                as _huella_conservada
        from (
            select
                lineas.*,
                {{ surrogate_key(valores) }} as _huella
            from {{ relation }} as lineas
        ) as con_huella
    ) as huellas
{%- endmacro %}


{% macro orden_binario(expression) -%}
    {{ return(adapter.dispatch('orden_binario')(expression)) }}
{%- endmacro %}


{% macro postgres__orden_binario(expression) -%}
    ({{ expression }}) collate "C"
{%- endmacro %}


{% macro default__orden_binario(expression) -%}
    {{ expression }}
{%- endmacro %}
