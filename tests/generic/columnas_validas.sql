{#-
    columnas_validas: the column rules of one model in one query (instead
    of one dbt test, one query and one dbt node per column and rule):
      requeridas  columns that hold no null (dbt's not_null);
      unicas      keys: a column name is unique among its non-null values
                  (dbt's unique); a list of columns is a unique combination,
                  nulls compared as values (combinacion_unica);
      aceptados   column -> the values it may hold, nulls pass (dbt's
                  accepted_values); a list is compared as quoted text, a
                  mapping {valores: [...], quote: false} as SQL literals;
      rangos      column -> {min_value, max_value}: the non-null values lie
                  within both inclusive bounds, either may be left out
                  (rango_valores; {min_value: 0} is no_negativo);
      relaciones  column -> {a: ref('parent'), campo: its column,
                  permitidos: [values that pass without a parent]}: every
                  non-null value is a `campo` of `a` (dbt's relationships).
    Returns one row per rule that fails: validacion (required_fields,
    duplicates, ranges or referential_integrity: the validation reports'
    kinds), columna and filas: null rows, duplicated keys (one per
    repeated value, as dbt's unique counts), rows out of the accepted
    values or the range, rows whose key the parent lacks (as dbt's
    relationships counts). The failures figure is their sum. The required
    columns, the accepted values and the ranges are one scan of the model;
    each key and each relation one query more.
    Optional `where`: dbt's standard test config filters the tested model
    first.
    Optional fuente: {relacion: source('system', 'table'), requeridas: [...],
    unicas: [...]}: the same required and key rules on the raw table the
    model reads, in the same test (one dbt node per staging model instead
    of one more per source table); its rules name their column
    <table>.<column>, and the where config does not filter it.
-#}
{% test columnas_validas(model, requeridas=[], unicas=[], aceptados={}, rangos={}, relaciones={}, fuente=none) %}

    {{ config(fail_calc='coalesce(sum(filas), 0)') }}
    {#- the relations checked, each counted in one scan: the model (conteos) and the raw table it
        reads (fuente: conteos_fuente, its rules named <table>.<column>), as (CTE, relation, prefix
        of the rules' column names, required columns, keys, the rules of the scan) -#}
    {%- set reglas = [] -%}
    {%- set escaneos = [('conteos', model, '', requeridas, unicas, reglas)] -%}
    {%- if fuente is not none -%}
        {%- if fuente.get('relacion') is none -%}
            {{ exceptions.raise_compiler_error(
                "columnas_validas: fuente needs relacion (the raw table, source('system', 'table'))"
            ) }}
        {%- endif -%}
        {%- do escaneos.append((
            'conteos_fuente', fuente.relacion, fuente.relacion.identifier ~ '.',
            fuente.get('requeridas', []), fuente.get('unicas', []), []
        )) -%}
    {%- endif -%}
    {#- each key as (its columns in SQL, which also name its rule; whether nulls are left out:
        a single column, as dbt's unique; its relation; the prefix of its rule's name) -#}
    {%- set claves = [] -%}
    {%- for cte, relacion, prefijo, requeridas_de, unicas_de, reglas_de in escaneos -%}
        {%- for columna in ([requeridas_de] if requeridas_de is string else requeridas_de) -%}
            {%- do reglas_de.append(('required_fields', prefijo ~ columna, columna ~ ' is null')) -%}
        {%- endfor -%}
        {%- for clave in ([unicas_de] if unicas_de is string else unicas_de) -%}
            {%- do claves.append((
                clave if clave is string else clave | join(', '), clave is string, relacion, prefijo
            )) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for columna, regla in aceptados.items() -%}
        {%- set valores = regla.valores if regla is mapping else regla -%}
        {%- set citar = regla.get('quote', true) if regla is mapping else true -%}
        {%- set literales = [] -%}
        {%- for valor in valores -%}
            {%- do literales.append(
                "'" ~ (valor | string | replace("'", "''")) ~ "'" if citar else valor | string
            ) -%}
        {%- endfor -%}
        {%- do reglas.append((
            'ranges', columna,
            columna ~ ' is not null and ' ~ columna ~ ' not in (' ~ literales | join(', ') ~ ')'
        )) -%}
    {%- endfor -%}
    {%- for columna, limites in rangos.items() -%}
        {%- set fuera = [] -%}
        {%- if limites.get('min_value') is not none -%}
            {%- do fuera.append(columna ~ ' < ' ~ limites.min_value) -%}
        {%- endif -%}
        {%- if limites.get('max_value') is not none -%}
            {%- do fuera.append(columna ~ ' > ' ~ limites.max_value) -%}
        {%- endif -%}
        {%- if fuera | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "columnas_validas: the range of " ~ columna ~ " needs min_value, max_value or both"
            ) }}
        {%- endif -%}
        {%- do reglas.append(('ranges', columna, '(' ~ fuera | join(' or ') ~ ')')) -%}
    {%- endfor -%}
    {#- each relation as (column, parent relation, parent column, SQL literals that pass) -#}
    {%- set padres = [] -%}
    {%- for columna, relacion in relaciones.items() -%}
        {%- if relacion.get('a') is none or relacion.get('campo') is none -%}
            {{ exceptions.raise_compiler_error(
                "columnas_validas: the relation of " ~ columna ~ " needs a (the parent) and campo"
            ) }}
        {%- endif -%}
        {%- set literales = [] -%}
        {%- for valor in relacion.get('permitidos', []) -%}
            {%- do literales.append(
                valor | string if valor is number else "'" ~ (valor | string | replace("'", "''")) ~ "'"
            ) -%}
        {%- endfor -%}
        {%- do padres.append((columna, relacion.a, relacion.campo, literales)) -%}
    {%- endfor -%}
    {%- if escaneos | map(attribute=5) | select | list | length == 0 and claves | length == 0 and padres | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "columnas_validas: give requeridas, unicas, aceptados, rangos or relaciones"
        ) }}
    {%- endif %}

    with

    {% for cte, relacion, prefijo, requeridas_de, unicas_de, reglas_de in escaneos if reglas_de | length > 0 -%}
    {{ cte }} as (

        select
            {%- for validacion, columna, falla in reglas_de %}
                sum(case when {{ falla }} then 1 else 0 end) as filas_{{ loop.index }}
                {{- "," if not loop.last }}
            {%- endfor %}
        from {{ relacion }}

    ),
    {%- endfor %}

    {% for columnas, sin_nulos, relacion, prefijo in claves %}
    duplicadas_{{ loop.index }} as (

        select count(*) as filas
        from (
            select {{ columnas }}
            from {{ relacion }}
            {%- if sin_nulos %}
                where {{ columnas }} is not null
            {%- endif %}
            group by {{ columnas }}
            having count(*) > 1
        ) as repetidas

    ),
    {%- endfor %}

    {% for columna, padre, campo, permitidos in padres %}
    huerfanas_{{ loop.index }} as (

        select count(*) as filas
        from {{ model }} as hija
        where
            hija.{{ columna }} is not null
            {%- if permitidos %}
                and hija.{{ columna }} not in ({{ permitidos | join(', ') }})
            {%- endif %}
            and not exists (
                select 1
                from {{ padre }} as fila_padre
                where fila_padre.{{ campo }} = hija.{{ columna }}
            )

    ),
    {%- endfor %}

    {#- one row per rule: (validacion, columna, its count, the CTE that holds it) -#}
    {%- set filas_por_regla = [] -%}
    {%- for cte, relacion, prefijo, requeridas_de, unicas_de, reglas_de in escaneos -%}
        {%- for validacion, columna, falla in reglas_de -%}
            {%- do filas_por_regla.append((validacion, columna, 'filas_' ~ loop.index, cte)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for columnas, sin_nulos, relacion, prefijo in claves -%}
        {%- do filas_por_regla.append(('duplicates', prefijo ~ columnas, 'filas', 'duplicadas_' ~ loop.index)) -%}
    {%- endfor -%}
    {%- for columna, padre, campo, permitidos in padres -%}
        {%- do filas_por_regla.append(('referential_integrity', columna, 'filas', 'huerfanas_' ~ loop.index)) -%}
    {%- endfor %}
    por_regla as (

        {%- for validacion, columna, filas, cte in filas_por_regla %}
            select
                '{{ validacion }}' as validacion,
                '{{ columna }}' as columna,
                {{ filas }} as filas
            from {{ cte }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}

    )

    select
        validacion,
        columna,
        filas
    from por_regla
    where filas > 0

{% endtest %}
