{#-
    campos_requeridos: none of `columnas` holds a null (dbt's not_null for
    several columns in one scan of the model instead of one query each).
    Returns one row per column with nulls and their count; the failures
    figure is the number of null values, as the per-column tests' sum
    would be. The validation reports list each column as its own check
    (ingest/reports.py).
    Optional `where`: dbt's standard test config filters the tested model
    before the check.
-#}
{% test campos_requeridos(model, columnas=[]) %}

    {{ config(fail_calc='coalesce(sum(filas_nulas), 0)') }}
    {%- set lista = [columnas] if columnas is string else (columnas | list) -%}
    {%- if lista | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "campos_requeridos: give the required columns in `columnas`"
        ) }}
    {%- endif %}

    with

    nulos as (

        select
            {%- for columna in lista %}
                sum(
                    case when {{ columna }} is null then 1 else 0 end
                ) as nulos_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ model }}

    ),

    por_columna as (

        {%- for columna in lista %}
            select
                '{{ columna }}' as columna,
                nulos_{{ loop.index }} as filas_nulas
            from nulos
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}

    )

    select
        columna,
        filas_nulas
    from por_columna
    where filas_nulas > 0

{% endtest %}
