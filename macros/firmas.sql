{#-
    Row fingerprints for incremental models that recompute a group of rows
    when any row they were computed from changed (int_fact_ventas_oro).
    Documented in macros/_firmas.yml.
-#}


{#-
    firma_fila(alias)

    A fingerprint of the whole row of `alias` (a table, subquery or CTE in
    the FROM clause): every column takes part, so any change of any column
    changes it. DuckDB: hash() of the row (64 bits); other adapters: md5 of
    the row as text.
-#}
{% macro firma_fila(alias) -%}
    {{ return(adapter.dispatch('firma_fila')(alias)) }}
{%- endmacro %}

{% macro default__firma_fila(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro duckdb__firma_fila(alias) -%}
    hash({{ alias }})
{%- endmacro %}


{#-
    combinar_firmas(firmas)

    One fingerprint of several (a list of SQL expressions, each a firma_fila
    or null when a left join found no row): positional, and a null differs
    from any fingerprint, so a row that appears, leaves or moves from one
    input to another changes the result.
-#}
{% macro combinar_firmas(firmas) -%}
    {{ return(adapter.dispatch('combinar_firmas')(firmas)) }}
{%- endmacro %}

{% macro default__combinar_firmas(firmas) -%}
    md5(cast(row({{ firmas | join(', ') }}) as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro duckdb__combinar_firmas(firmas) -%}
    hash({{ firmas | join(', ') }})
{%- endmacro %}


{#-
    con_firma(relacion, columnas='*', firmar=true)

    A select of `columnas` of `relacion` (a ref, a source or a CTE name)
    with one more column, _firma: the fingerprint of those columns
    (firma_fila). List only the columns the reader uses when the relation
    has others that change without changing the result (load times of a
    lookup table reloaded whole): a column left out of the list cannot be
    read, so it cannot be used without being fingerprinted. With `firmar`
    false, the same select without _firma (a model that builds without
    fingerprints on some adapter keeps one query).
-#}
{% macro con_firma(relacion, columnas='*', firmar=true) -%}
    select
        fila.*
        {%- if firmar %},
        {{ firma_fila('fila') }} as _firma
        {%- endif %}
    from (select {{ columnas }} from {{ relacion }}) as fila
{%- endmacro %}
