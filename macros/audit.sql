{#-
    audit_flag_counts(models, suffix, rule=none)

    The body of the audit models: one row per flag column (a boolean column
    whose name ends with `suffix`) of each model in `models`, with the
    number of rows where it is true:
        modelo, columna, regla, filas, filas_totales
    `columna` is the flagged column (the suffix removed); `regla` is `rule`,
    or when none the population rule of the column (population_rule_name).

    The flag columns are read from the built relations (introspection: one
    query on information_schema.columns for every listed relation), so
    a new flag is counted without editing the audit model. Each model is
    ref-ed here at parse time, so dbt knows the dependencies; a staging
    model whose documented columns carry the suffix but is missing from
    `models` is a compiler error, so the audit cannot silently miss one.
-#}
{% macro audit_flag_counts(models, suffix, rule=none) %}
    {%- set relaciones = {} -%}
    {%- for modelo in models -%}
        {%- do relaciones.update({modelo: ref(modelo)}) -%}
    {%- endfor -%}

    {%- set conteos = [] -%}
    {%- if execute -%}
        {%- for nodo in graph.nodes.values() -%}
            {%- if nodo.resource_type == 'model' and nodo.package_name == project_name
                and nodo.name.startswith('stg_') and nodo.name not in models -%}
                {%- for columna in nodo.columns if columna.endswith(suffix) -%}
                    {{ exceptions.raise_compiler_error(
                        this.identifier ~ ": " ~ nodo.name ~ " has the flag " ~ columna
                        ~ " but is not in the list of audited models"
                    ) }}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {#- the flag columns of every listed relation, in one catalog query (one query per relation
            cost about 20 ms each: 35 of them were the slowest node of a scale-1 build) -#}
        {%- set esquemas = [] -%}
        {%- for modelo in models if relaciones[modelo].schema not in esquemas -%}
            {%- do esquemas.append(relaciones[modelo].schema) -%}
        {%- endfor -%}
        {%- set consulta -%}
            select lower(table_schema), lower(table_name), column_name
            from information_schema.columns
            where
                lower(table_schema) in ('{{ esquemas | map('lower') | join("', '") }}')
                and length(column_name) > {{ suffix | length }}
                and substr(column_name, length(column_name) - {{ (suffix | length) - 1 }}) = '{{ suffix }}'
            order by table_schema, table_name, ordinal_position
        {%- endset -%}
        {%- set por_relacion = {} -%}
        {%- for fila in run_query(consulta).rows -%}
            {%- do por_relacion.setdefault(fila[0] ~ '.' ~ fila[1], []).append(fila[2]) -%}
        {%- endfor -%}
        {%- for modelo in models -%}
            {%- set clave = (relaciones[modelo].schema ~ '.' ~ relaciones[modelo].identifier) | lower -%}
            {%- if por_relacion.get(clave) -%}
                {%- do conteos.append({'modelo': modelo, 'banderas': por_relacion[clave]}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if conteos | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as modelo,
        cast(null as {{ dbt.type_string() }}) as columna,
        cast(null as {{ dbt.type_string() }}) as regla,
        cast(null as bigint) as filas,
        cast(null as bigint) as filas_totales
    where 1 = 0
    {%- else %}
    with
    {% for conteo in conteos %}
    conteo_{{ loop.index }} as (
        select
            count(*) as filas_totales
            {%- for bandera in conteo.banderas %},
            sum(case when {{ bandera }} then 1 else 0 end) as {{ bandera }}
            {%- endfor %}
        from {{ relaciones[conteo.modelo] }}
    ){{ "," if not loop.last }}
    {% endfor %}
    {% for conteo in conteos %}
        {%- set indice = loop.index -%}
        {%- for bandera in conteo.banderas %}
    select
        cast('{{ conteo.modelo }}' as {{ dbt.type_string() }}) as modelo,
        {%- set columna = bandera[: -(suffix | length)] %}
        cast('{{ columna }}' as {{ dbt.type_string() }}) as columna,
        cast('{{ rule if rule is not none else population_rule_name(columna) }}' as {{ dbt.type_string() }}) as regla,
        cast(coalesce({{ bandera }}, 0) as bigint) as filas,
        cast(filas_totales as bigint) as filas_totales
    from conteo_{{ indice }}
    {{ "union all" if not (loop.last and conteo is sameas conteos[-1]) }}
        {%- endfor %}
    {% endfor %}
    {%- endif %}
{% endmacro %}
