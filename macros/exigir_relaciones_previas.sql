{#-
    exigir_relaciones_previas()

    on-run-start hook: before `dbt test`, `dbt build`, `dbt run` or `dbt snapshot`
    runs any node, every relation the selected nodes read and that this invocation
    does not build itself (sources, and models, seeds or snapshots outside the
    selection) must exist. Otherwise the command stops with one message that names
    what is missing and the command that builds it, instead of one database error
    per test (or a traceback). Ephemeral models are skipped (they are not relations).
-#}
{% macro exigir_relaciones_previas() %}
    {%- if not execute or flags.WHICH not in ('test', 'build', 'run', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set seleccion = selected_resources | list -%}
    {%- set requeridos = {} -%}
    {%- for unique_id in seleccion -%}
        {%- set nodo = graph.nodes.get(unique_id) -%}
        {%- if nodo -%}
            {%- for padre in nodo.depends_on.nodes -%}
                {%- if padre not in seleccion -%}
                    {%- do requeridos.update({padre: true}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set faltan = [] -%}
    {%- set fuentes_faltan = [] -%}
    {%- for unique_id in requeridos | sort -%}
        {%- set nodo = graph.sources.get(unique_id) or graph.nodes.get(unique_id) -%}
        {%- if nodo and nodo.resource_type in ('source', 'model', 'seed', 'snapshot')
              and nodo.config.materialized != 'ephemeral' -%}
            {%- set identificador = nodo.identifier if nodo.resource_type == 'source'
                else (nodo.alias or nodo.name) -%}
            {%- set relacion = adapter.get_relation(database=nodo.database, schema=nodo.schema,
                                                    identifier=identificador) -%}
            {%- if relacion is none -%}
                {%- if nodo.resource_type == 'source' -%}
                    {%- do fuentes_faltan.append(nodo.schema ~ '.' ~ identificador) -%}
                {%- else -%}
                    {%- do faltan.append(nodo.schema ~ '.' ~ identificador) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if fuentes_faltan or faltan -%}
        {%- set todos = fuentes_faltan + faltan -%}
        {%- set lista = todos[:5] | join(', ')
            ~ (' and ' ~ (todos | length - 5) ~ ' more' if todos | length > 5 else '') -%}
        {%- if todos | length == requeridos | length -%}
            {%- set mensaje = 'The warehouse (target ' ~ target.name ~ ') is not built yet: '
                ~ (todos | length) ~ ' relation(s) missing (' ~ lista ~ '). Run `python run_etl.py` first:'
                ~ ' it extracts the sources and builds the warehouse.' -%}
        {%- elif fuentes_faltan -%}
            {%- set mensaje = 'The sources are not extracted yet: ' ~ (todos | length)
                ~ ' relation(s) missing (' ~ lista ~ '). Run `python run_etl.py ingest` (extract only)'
                ~ ' or `python run_etl.py` (extract and build).' -%}
        {%- else -%}
            {%- set mensaje = (todos | length) ~ ' relation(s) this command reads are not built yet ('
                ~ lista ~ '). Build them first: `dbt build --select +<model>`, or `python run_etl.py`.' -%}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(mensaje) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
