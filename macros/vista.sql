{#-
    The view materialization on DuckDB: one `create or replace view` in a
    transaction, instead of dbt's create under a temporary name, two renames
    and a drop (four statements and their commits for each of the staging
    views). DuckDB binds a view when it is read, so replacing it in place
    is what the renames did, atomically. A table left under the view's name
    (a model that was a table) is dropped first, in the same transaction.
    PostgreSQL keeps dbt's own: there `create or replace view` cannot
    drop or reorder columns. Documented in macros/_materializaciones.yml.
-#}
{%- materialization view, adapter='duckdb' -%}

    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set grant_config = config.get('grants') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if existing_relation is not none and not existing_relation.is_view %}
        {{ adapter.drop_relation(existing_relation) }}
    {%- endif %}

    {#- as dbt-duckdb's create_view_as: a contract's columns checked, the sql_header first -#}
    {%- if config.get('contract').enforced %}
        {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}
    {%- set sql_header = config.get('sql_header', none) %}
    {% call statement('main') -%}
        {{ sql_header if sql_header is not none }}
        create or replace view {{ target_relation }} as (
            {{ sql }}
        );
    {%- endcall %}

    {%- set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
    {%- do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
    {%- do persist_docs(target_relation, model) %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}

    {{ adapter.commit() }}

    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{%- endmaterialization -%}
