{#-
    mask_pii(expression)

    When var('mask_pii') is true, replaces a personal value (email, phone,
    name) with 'pii_' and 12 hex characters of its md5: deterministic, so
    masked values still join and count distinct, but not readable. When
    false (the default), returns the value unchanged. For dimensions.
-#}
{% macro mask_pii(expression) -%}
    {%- if var('mask_pii', false) | string | lower in ['true', '1', 'yes'] -%}
        case
            when {{ expression }} is not null
                then 'pii_' || substr({{ dbt.hash('lower(trim(' ~ expression ~ '))') }}, 1, 12)
        end
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{%- endmacro %}
