{#-
    Write-audit-publish of the marts (documented in macros/_publicacion.yml).

    dbt writes the dimensions and facts into the private schema dw_build and
    tests them there; readers query dw, which changes only when a `dbt build`
    ends with no failed node: publicar_dw (on-run-end) then applies to dw, in
    one transaction, what changed in dw_build since the last publish. What
    changed is kept in dw_build by the builds themselves:
      - publicacion_pendiente (modelo, modo): one row per model written since
        the last publish; modo `completa` (a table built whole: every
        dimension, a fact built from scratch or with --full-refresh) or
        `delta` (an incremental fact);
      - <fact>__publicar: the rows an incremental fact inserted or replaced
        since the last publish (strategy `publicable`), and
        <fact>__borrados: the keys it deleted (borrar_lineas_eliminadas).
    So a publish costs what changed: a rebuilt dimension is copied, an
    incremental fact gets its delta, nothing else is touched. A failed or
    killed build publishes nothing and keeps its pending changes, which the
    next successful build publishes with its own.
-#}


{% macro esquema_publicado() -%}
    dw
{%- endmacro %}


{% macro esquema_construccion() -%}
    dw_build
{%- endmacro %}


{#- the relation `nombre` in the build schema (the default) or in dw -#}
{% macro relacion_dw(nombre, publicada=false) %}
    {{ return(api.Relation.create(
        database=target.database,
        schema=(esquema_publicado() if publicada else esquema_construccion()),
        identifier=nombre,
        type='table'
    )) }}
{% endmacro %}


{#-
    preparar_publicacion()

    on-run-start hook of `dbt build` and `dbt run`: the two schemas and the
    table of pending publications exist before any node records in it (two
    threads creating it at once would conflict on DuckDB). On a warehouse
    built before write-audit-publish (dw holds the marts, dw_build has no
    publicacion_pendiente), the incremental facts start from their dw
    tables: copied into dw_build once, so they keep their history
    (fact_inventario's earlier days, which the sources no longer have)
    instead of being rebuilt without it.
-#}
{% macro preparar_publicacion() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set heredadas = [] -%}
    {#- dbt has created the schemas of the selected models by now: what says dw_build is this
        version's is its publicacion_pendiente table -#}
    {%- set existe = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ esquema_construccion()
        ~ "' and table_name = 'publicacion_pendiente'"
    ).rows[0][0] -%}
    {%- if existe == 0 -%}
        {%- set publicadas = run_query(
            "select table_name from information_schema.tables where table_schema = '" ~ esquema_publicado() ~ "'"
        ).columns[0].values() -%}
        {%- set construidas = run_query(
            "select table_name from information_schema.tables where table_schema = '" ~ esquema_construccion() ~ "'"
        ).columns[0].values() -%}
        {%- for nodo in graph.nodes.values() if nodo.resource_type == 'model'
              and nodo.schema == esquema_construccion() and nodo.config.materialized == 'incremental'
              and (nodo.alias or nodo.name) in publicadas and (nodo.alias or nodo.name) not in construidas -%}
            {%- do heredadas.append(nodo.alias or nodo.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- committed here: the queries above began a transaction, which dbt rolls back after the hooks -#}
    {%- call statement('preparar_publicacion', auto_begin=true) -%}
        create schema if not exists {{ esquema_construccion() }};
        create schema if not exists {{ esquema_publicado() }};
        create table if not exists {{ relacion_dw('publicacion_pendiente') }} (
            modelo varchar(128),
            modo varchar(16)
        )
        {%- for nombre in heredadas %};
        create table {{ relacion_dw(nombre) }} as select * from {{ relacion_dw(nombre, publicada=true) }}
        {%- endfor %}
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {#- the nodes of this invocation see the tables taken over (dbt read its relation cache before the hooks) -#}
    {%- for nombre in heredadas -%}
        {%- do adapter.cache_added(relacion_dw(nombre)) -%}
    {%- endfor -%}
{%- endmacro %}


{#-
    registrar_publicacion()

    pre-hook of every dimension and fact: a model built whole (a table, or
    an incremental fact built from scratch or with --full-refresh) is
    published whole, so its earlier delta is dropped. An incremental build
    records its delta itself (get_incremental_publicable_sql).
-#}
{% macro registrar_publicacion() -%}
    {%- if not execute or is_incremental() or this.schema != esquema_construccion() -%}
        {{ return('') }}
    {%- endif -%}
    {%- if config.get('materialized') == 'incremental' %}
    drop table if exists {{ relacion_dw(this.identifier ~ '__publicar') }};
    drop table if exists {{ relacion_dw(this.identifier ~ '__borrados') }};
    {%- endif %}
    insert into {{ relacion_dw('publicacion_pendiente') }} (modelo, modo)
    values ('{{ this.identifier }}', 'completa')
{%- endmacro %}


{#- the delta tables of an incremental fact, created empty from `modelo` (a relation with its columns) when missing -#}
{% macro asegurar_delta(modelo) -%}
    {%- set clave = config.get('unique_key') -%}
    create table if not exists {{ relacion_dw(this.identifier ~ '__publicar') }} as
    select * from {{ modelo }} where 1 = 0;
    create table if not exists {{ relacion_dw(this.identifier ~ '__borrados') }} as
    select {{ clave }} from {{ modelo }} where 1 = 0
{%- endmacro %}


{#-
    get_incremental_publicable_sql(arg_dict)

    Incremental strategy `publicable`: dbt's delete+insert on the unique key,
    after adding the new rows to the fact's delta (replacing a row of the same
    key an earlier unpublished build put there) and recording the delta in
    publicacion_pendiente, in the same statement and transaction.
-#}
{% macro get_incremental_publicable_sql(arg_dict) -%}
    {%- set clave = arg_dict['unique_key'] -%}
    {%- set nuevas = arg_dict['temp_relation'] -%}
    {%- set delta = relacion_dw(this.identifier ~ '__publicar') -%}
    {%- set columnas = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {{ asegurar_delta(nuevas) }};
    delete from {{ delta }} where {{ clave }} in (select {{ clave }} from {{ nuevas }});
    insert into {{ delta }} ({{ columnas }}) select {{ columnas }} from {{ nuevas }};
    insert into {{ relacion_dw('publicacion_pendiente') }} (modelo, modo) values ('{{ this.identifier }}', 'delta');
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}


{#-
    registrar_borrados(condicion)

    The statements borrar_lineas_eliminadas runs before it deletes the rows
    of the fact matching the SQL `condicion`: their keys go to the fact's
    __borrados table and leave its delta.
-#}
{% macro registrar_borrados(condicion) -%}
    {%- set clave = config.get('unique_key') -%}
    {{ asegurar_delta(this) }};
    insert into {{ relacion_dw(this.identifier ~ '__borrados') }} ({{ clave }})
    select {{ clave }} from {{ this }} where {{ condicion }};
    delete from {{ relacion_dw(this.identifier ~ '__publicar') }}
    where {{ clave }} in (select {{ clave }} from {{ this }} where {{ condicion }})
{%- endmacro %}


{#-
    columnas_dw_sql()

    The query publicar_dw reads the columns of dw and dw_build with, one row
    per column in order: schema, table, lower-case name, and a type signature
    (the type with its precision, scale and length, which PostgreSQL's
    data_type alone leaves out).
-#}
{% macro columnas_dw_sql() -%}
    select
        table_schema,
        table_name,
        lower(column_name),
        data_type
        || ':' || coalesce(cast(numeric_precision as varchar), '')
        || ',' || coalesce(cast(numeric_scale as varchar), '')
        || ',' || coalesce(cast(character_maximum_length as varchar), '')
    from information_schema.columns
    where table_schema in ('{{ esquema_construccion() }}', '{{ esquema_publicado() }}')
    order by table_schema, table_name, ordinal_position
{%- endmacro %}


{#-
    publicar_dw()

    on-run-end hook: after a `dbt build` in which no node failed or was
    skipped, apply every pending change of dw_build to dw in one transaction
    and empty publicacion_pendiente. A model pending `completa` (or new to
    dw, or whose columns changed) replaces its dw table's rows (or the table);
    a `delta` deletes the keys of the fact's __publicar and __borrados tables
    from dw and inserts the __publicar rows. run_etl.py sets
    PUNTAFINA_PUBLICAR=no on a dbt invocation a later one completes (the
    staging layer built alone first, under sources.csv.on_error: fail).
-#}
{% macro publicar_dw() -%}
    {%- if not execute or flags.WHICH != 'build' or env_var('PUNTAFINA_PUBLICAR', 'si') == 'no' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set fallidos = [] -%}
    {%- for resultado in results -%}
        {%- if resultado.status in ('error', 'fail', 'runtime error', 'skipped') -%}
            {%- do fallidos.append(resultado.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if fallidos -%}
        {{ log('dw not published: ' ~ fallidos | length ~ ' node(s) failed or were skipped; readers keep the last '
               ~ 'published run, and the next build that passes publishes these changes with its own', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set modelos = {} -%}
    {%- for nodo in graph.nodes.values() -%}
        {%- if nodo.resource_type == 'model' and nodo.schema == esquema_construccion() -%}
            {%- do modelos.update({nodo.alias or nodo.name: nodo}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set pendientes = run_query(
        "select modelo, max(case when modo = 'completa' then 1 else 0 end) from "
        ~ relacion_dw('publicacion_pendiente') ~ ' group by modelo order by modelo'
    ) -%}
    {#- the columns of every table of both schemas, in one query: [(name, type signature)] by schema.table -#}
    {%- set columnas_de = {} -%}
    {%- for fila in run_query(columnas_dw_sql()).rows -%}
        {%- do columnas_de.setdefault(fila[0] ~ '.' ~ fila[1], []).append((fila[2], fila[3])) -%}
    {%- endfor -%}
    {%- set construida = esquema_construccion() ~ '.' -%}
    {%- set publica = esquema_publicado() ~ '.' -%}
    {#- (name, whole): the pending models, and any built model missing from dw (dropped by hand) -#}
    {%- set publicar = [] -%}
    {%- set pendiente = {} -%}
    {%- for fila in pendientes.rows if fila[0] in modelos -%}
        {%- do pendiente.update({fila[0]: fila[1] == 1}) -%}
    {%- endfor -%}
    {%- for nombre in modelos | sort if (construida ~ nombre) in columnas_de -%}
        {%- if nombre in pendiente -%}
            {%- do publicar.append((nombre, pendiente[nombre])) -%}
        {%- elif (publica ~ nombre) not in columnas_de -%}
            {%- do publicar.append((nombre, true)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set sentencias = [] -%}
    {%- for nombre, entera in publicar -%}
        {%- set origen = relacion_dw(nombre) -%}
        {%- set destino = relacion_dw(nombre, publicada=true) -%}
        {%- set columnas = columnas_de[construida ~ nombre] -%}
        {%- set lista = get_quoted_csv(columnas | map(attribute=0)) -%}
        {%- set delta = relacion_dw(nombre ~ '__publicar') -%}
        {%- if columnas_de.get(publica ~ nombre) != columnas -%}
            {%- do sentencias.append('drop table if exists ' ~ destino) -%}
            {%- do sentencias.append('create table ' ~ destino ~ ' as select ' ~ lista ~ ' from ' ~ origen) -%}
        {%- elif entera or (construida ~ nombre ~ '__publicar') not in columnas_de -%}
            {%- do sentencias.append('delete from ' ~ destino) -%}
            {%- do sentencias.append('insert into ' ~ destino ~ ' (' ~ lista ~ ') select ' ~ lista ~ ' from ' ~ origen) -%}
        {%- else -%}
            {%- set clave = modelos[nombre].config.unique_key -%}
            {%- do sentencias.append('delete from ' ~ destino ~ ' where ' ~ clave ~ ' in (select ' ~ clave ~ ' from '
                                     ~ delta ~ ' union all select ' ~ clave ~ ' from '
                                     ~ relacion_dw(nombre ~ '__borrados') ~ ')') -%}
            {%- do sentencias.append('insert into ' ~ destino ~ ' (' ~ lista ~ ') select ' ~ lista ~ ' from ' ~ delta) -%}
        {%- endif -%}
        {%- if modelos[nombre].config.materialized == 'incremental' -%}
            {%- do sentencias.append('drop table if exists ' ~ relacion_dw(nombre ~ '__publicar')) -%}
            {%- do sentencias.append('drop table if exists ' ~ relacion_dw(nombre ~ '__borrados')) -%}
        {%- endif -%}
        {%- if target.type == 'postgres' -%}
            {%- do sentencias.append('analyze ' ~ destino) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not pendientes.rows and not publicar -%}
        {{ return('') }}
    {%- endif -%}
    {%- do sentencias.append('delete from ' ~ relacion_dw('publicacion_pendiente')) -%}
    {#- one transaction: the run_query above began it (auto_begin), this statement joins it -#}
    {%- call statement('publicar_dw', auto_begin=true) -%}
        {{ sentencias | join(';\n') }}
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {{ log('dw published: ' ~ publicar | length ~ ' model(s) in one transaction', info=true) }}
{%- endmacro %}
