{#-
    generate_schema_name(custom_schema_name, node)

    Custom schema names are used verbatim: a model configured with
    +schema: staging lands in `staging`, not in `<target schema>_staging`.
    Nodes without a custom schema go to the target's schema.
    The schemas of this project are set per folder in dbt_project.yml:
    staging, snapshots, dw, audit.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
