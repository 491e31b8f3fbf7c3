{#-
    Helpers of the dimension layer (models/dimensions, models/intermediate
    int_dim_*), also meant for the facts: they build the business keys of
    the dimensions whose key is composed (geography, shipping method,
    promotion) exactly as the dimensions do, and the validity bounds of
    the SCD2 dimensions. Documented in macros/_dimensiones.yml.
-#}


{#-
    texto_normalizado(expression)

    Text for comparing and keying: accents and diaeresis removed (the
    Spanish set, both cases), ñ -> n, spaces trimmed and collapsed, upper
    case; '' -> null. The same on DuckDB and PostgreSQL whatever the
    database collation (the accents are removed before upper()).
-#}
{% macro texto_normalizado(expression) -%}
    nullif(
        upper(
            trim(
                regexp_replace(
                    {{ sin_acentos('cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')') }},
                    '\s+',
                    ' ',
                    'g'
                )
            )
        ),
        ''
    )
{%- endmacro %}


{#-
    sin_acentos(texto)

    The text with the accents and diaeresis of the Spanish set removed
    (both cases) and ñ -> n: translate(). Dispatched: DuckDB's translate()
    costs about 1.5 µs a row (0.6 s for the 400,000 order addresses of
    scale 100), so DuckDB translates only a text that has one of those
    letters (a regular-expression test of the same set, 10x cheaper); the
    result is the same.
-#}
{% macro sin_acentos(texto) -%}
    {{ return(adapter.dispatch('sin_acentos')(texto)) }}
{%- endmacro %}

{% macro default__sin_acentos(texto) -%}
    translate(
        {{ texto }},
        'ÁÀÂÄÉÈÊËÍÌÎÏÓÒÔÖÚÙÛÜÑáàâäéèêëíìîïóòôöúùûüñ',
        'AAAAEEEEIIIIOOOOUUUUNaaaaeeeeiiiioooouuuun'
    )
{%- endmacro %}

{% macro duckdb__sin_acentos(texto) -%}
    case
        when regexp_matches({{ texto }}, '[ÁÀÂÄÉÈÊËÍÌÎÏÓÒÔÖÚÙÛÜÑáàâäéèêëíìîïóòôöúùûüñ]')
            then {{ default__sin_acentos(texto) }}
        else {{ texto }}
    end
{%- endmacro %}


{#-
    clave_geografia(pais_codigo, region, ciudad)

    Business key of dim_geografia: 'PAIS|REGION|CIUDAD', each part
    normalized with texto_normalizado and 'N/D' when missing, e.g.
    'SV|SV-SS|SAN SALVADOR', 'CR|SAN JOSE|ESCAZU', 'SV|SV-SS|N/D'.
    region is the region code when known (ISO 3166-2, 'SV-SS'), else the
    region text. Null when the three parts are missing (-> unknown member).
-#}
{% macro clave_geografia(pais_codigo, region, ciudad) -%}
    {{ clave_geografia_de_partes(
        texto_normalizado(pais_codigo), texto_normalizado(region), texto_normalizado(ciudad)
    ) }}
{%- endmacro %}


{#-
    clave_geografia_de_partes(pais, region, ciudad)

    clave_geografia of parts already through texto_normalizado (columns, so
    that a model normalizes each text once: the macro names each part twice).
-#}
{% macro clave_geografia_de_partes(pais, region, ciudad) -%}
    case
        when {{ pais }} is not null
            or {{ region }} is not null
            or {{ ciudad }} is not null
            then
                coalesce({{ pais }}, 'N/D')
                || '|' || coalesce({{ region }}, 'N/D')
                || '|' || coalesce({{ ciudad }}, 'N/D')
    end
{%- endmacro %}


{#-
    clave_metodo_envio(metodo, tipo)

    Business key of dim_metodo_envio: the Oro shipping method identifier
    and its type joined by '|', e.g. 'flat_rate_1|primary'; the identifier
    alone when the type is missing; null when the method is missing.
-#}
{% macro clave_metodo_envio(metodo, tipo) -%}
    case
        when nullif(trim({{ metodo }}), '') is not null
            then trim({{ metodo }}) || coalesce('|' || nullif(trim({{ tipo }}), ''), '')
    end
{%- endmacro %}


{#-
    clave_promocion(promocion_id, cupon_id)

    Business key of dim_promocion: the Oro promotion id as text ('4'), or
    promotion id and coupon id joined by '|' when a coupon was used
    ('4|2'); null when the promotion is missing. A line without any
    promotion maps to the member 'SIN_PROMOCION', not to this key.
-#}
{% macro clave_promocion(promocion_id, cupon_id) -%}
    case
        when {{ promocion_id }} is not null
            then cast({{ promocion_id }} as {{ dbt.type_string() }})
            || coalesce('|' || cast({{ cupon_id }} as {{ dbt.type_string() }}), '')
    end
{%- endmacro %}


{#-
    inicio_vigencia() / fin_vigencia()

    The bounds of the SCD2 dimensions (dim_cliente, dim_producto) as
    timestamps: rows that have no history (POS-only customers, ERP-only
    products, inferred and unknown members) are valid from 1900-01-01;
    the current version of every member is valid until 9999-12-31
    (valido_hasta is never null). Point-in-time join:
        fecha >= valido_desde and fecha < valido_hasta
-#}
{% macro inicio_vigencia() -%}
    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro fin_vigencia() -%}
    cast('9999-12-31 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#-
    inicio_version_scd2(numero_version, valido_desde_snapshot)

    The published start of an SCD2 version built from a snapshot: the first
    version of a member is valid from inicio_vigencia() (1900-01-01: it also
    covers every fact older than the member's history, e.g. a POS line that
    quotes a customer before Oro created it), each later one from the
    snapshot's dbt_valid_from. The one rule for dim_cliente and
    dim_producto; the facts join on exactly these published ranges
    (versiones_scd2), and the test en_vigencia_scd2 checks every fact row
    lies inside the range of the version it points to.
-#}
{% macro inicio_version_scd2(numero_version, valido_desde_snapshot) -%}
    case
        when {{ numero_version }} > 1 then {{ valido_desde_snapshot }}
        else {{ inicio_vigencia() }}
    end
{%- endmacro %}


{#-
    version_unica_scd2(es_inferido)

    The SCD2 columns of a member without history (POS-only customers,
    ERP-only products, inferred and unknown members): one version, valid
    from inicio_vigencia() to fin_vigencia(), current; es_inferido as given.
-#}
{% macro version_unica_scd2(es_inferido=false) -%}
    cast(1 as integer) as numero_version,
        {{ inicio_vigencia() }} as valido_desde,
        {{ fin_vigencia() }} as valido_hasta,
        true as es_actual,
        {{ 'true' if es_inferido else 'false' }} as es_inferido
{%- endmacro %}


{#-
    textos_nd(columnas)

    'N/D' as text for each of the given columns: the attributes a member
    without a source (inferred or unknown) does not have.
-#}
{% macro textos_nd(columnas) -%}
    {%- for columna in columnas -%}
        cast('N/D' as {{ dbt.type_string() }}) as {{ columna }}{{ ",\n        " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#-
    miembros_con_clave_scd2(clave, id_columna, miembros, desconocido)

    The rows of an SCD2 dimension with their surrogate key: every member's
    version keyed surrogate_key([id_columna, valido_desde]), then the
    unknown member keyed surrogate_key(['N/D']). Both relations have the
    dimension's columns without the key, in the same order.
-#}
{% macro miembros_con_clave_scd2(clave, id_columna, miembros, desconocido) -%}
    select
        {{ surrogate_key([id_columna, 'valido_desde']) }} as {{ clave }},
        {{ miembros }}.*
    from {{ miembros }}

    union all

    select
        {{ surrogate_key(["'N/D'"]) }} as {{ clave }},
        {{ desconocido }}.*
    from {{ desconocido }}
{%- endmacro %}


{#-
    versiones_scd2(dimension, columnas)

    The versions of an SCD2 dimension for a point-in-time join: the given
    columns and the published range, as vigente_desde / vigente_hasta.
    Join: fecha >= vigente_desde and fecha < vigente_hasta.
-#}
{% macro versiones_scd2(dimension, columnas) -%}
    select
        {%- for columna in columnas %}
        {{ columna }},
        {%- endfor %}
        valido_desde as vigente_desde,
        valido_hasta as vigente_hasta
    from {{ dimension }}
{%- endmacro %}


{#-
    prioridad_simetria()

    The var `prioridad_simetria` ('db' by default, or 'csv'): which side
    wins when an Oro product (db) and the ERP export (csv) disagree on
    name, brand or status. Any other value is a compiler error.
-#}
{% macro prioridad_simetria() -%}
    {%- set valor = var('prioridad_simetria', 'db') | string | trim | lower -%}
    {%- if valor not in ['db', 'csv'] -%}
        {{ exceptions.raise_compiler_error(
            "var prioridad_simetria must be 'db' or 'csv', got '" ~ valor ~ "'"
        ) }}
    {%- endif -%}
    {{ return(valor) }}
{%- endmacro %}


{#-
    extraer_regex(expression, pattern)

    The text matched by the first capture group of pattern, or null.
    DuckDB: regexp_extract; PostgreSQL: substring(... from ...). pattern is
    pasted as a SQL literal: write it without single quotes.
-#}
{% macro extraer_regex(expression, pattern) %}
    {%- if "'" in pattern -%}
        {{ exceptions.raise_compiler_error("extraer_regex: the pattern must not contain a single quote") }}
    {%- endif -%}
    {{ return(adapter.dispatch('extraer_regex')(expression, pattern)) }}
{% endmacro %}


{% macro duckdb__extraer_regex(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}


{% macro postgres__extraer_regex(expression, pattern) -%}
    substring({{ expression }} from '{{ pattern }}')
{%- endmacro %}


{% macro default__extraer_regex(expression, pattern) -%}
    regexp_substr({{ expression }}, '{{ pattern }}', 1, 1, 'e', 1)
{%- endmacro %}
