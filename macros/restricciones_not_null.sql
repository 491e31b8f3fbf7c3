{#-
    restricciones_not_null: pre-hook of the incremental facts. A fact's
    table is created from its enforced contract, so each required column
    (a not_null constraint in the layer's YAML) is NOT NULL in its DDL; a
    table created before a constraint was declared (an older release, a
    column made required later) would keep accepting nulls, since an
    incremental run never recreates it. This makes each such column NOT
    NULL first (ALTER TABLE ... SET NOT NULL, DuckDB and PostgreSQL), so
    the rows written next are checked like a new table's; a null already
    in the table stops the model with the database's error naming the
    column. Does nothing on a full refresh or a new table (the DDL has the
    constraints) and when every required column already is NOT NULL.
-#}
{% macro restricciones_not_null() %}

    {%- if execute and is_incremental() -%}
        {%- set requeridas = [] -%}
        {%- for nombre, columna in model.columns.items() -%}
            {%- for restriccion in columna.get('constraints', []) -%}
                {%- if restriccion.get('type') == 'not_null' -%}
                    {%- do requeridas.append(nombre | lower) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if requeridas -%}
            {%- set consulta -%}
                select column_name
                from information_schema.columns
                where
                    table_schema = '{{ this.schema }}'
                    and table_name = '{{ this.identifier }}'
                    and is_nullable = 'YES'
            {%- endset -%}
            {%- set abiertas = run_query(consulta).columns[0].values() -%}
            {%- for columna in abiertas if columna | lower in requeridas -%}
                {%- do log(this.identifier ~ ": column " ~ columna
                    ~ " made NOT NULL (a not_null constraint of its contract)", info=True) -%}
                {%- do run_query("alter table " ~ this ~ " alter column "
                    ~ adapter.quote(columna) ~ " set not null") -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}

{% endmacro %}
