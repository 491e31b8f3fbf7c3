{#-
    Helpers of the fact models (models/facts, models/intermediate/int_fact_*):
    currency conversion, date keys, dimension keys (unknown and inferred
    members) and the incremental window. Documented in macros/_hechos.yml.
-#}


{#-
    convertir_a_usd(monto, moneda, tasa_usd)

    The amount in USD: as-is when the currency is USD, else amount x rate
    (USD per one unit of the currency), rounded to 4 decimals. Null when the
    amount is null or no rate is known. `tasa_usd` is the as-of rate of the
    fact's day: join int_fact_tasas_cambio_diarias on (fecha, moneda).
-#}
{% macro convertir_a_usd(monto, moneda, tasa_usd) -%}
    cast(
        round(
            case
                when upper({{ moneda }}) = 'USD' then ({{ monto }})
                else ({{ monto }}) * ({{ tasa_usd }})
            end,
            4
        ) as decimal(19, 4)
    )
{%- endmacro %}


{#-
    fecha_a_clave(fecha)

    The dim_fecha key of a date: the integer yyyymmdd, or -1 (the unknown
    member) when the date is null or outside dim_fecha's range
    (vars fecha_inicio .. fecha_fin).
-#}
{% macro fecha_a_clave(fecha) -%}
    {%- set inicio = var('fecha_inicio', '2024-01-01') | string -%}
    {%- set fin = var('fecha_fin', '2027-12-31') | string -%}
    case
        when cast({{ fecha }} as date) between cast('{{ inicio }}' as date) and cast('{{ fin }}' as date)
            then cast(
                extract(year from cast({{ fecha }} as date)) * 10000
                + extract(month from cast({{ fecha }} as date)) * 100
                + extract(day from cast({{ fecha }} as date))
                as integer
            )
        else -1
    end
{%- endmacro %}


{#-
    fecha_local(timestamp_utc)

    The El Salvador calendar day (UTC-6 all year, no daylight saving time)
    of a UTC timestamp: Oro timestamps are UTC, the POS exports local time,
    and every fact is dated by the local day.
-#}
{% macro fecha_local(timestamp_utc) -%}
    cast({{ dbt.dateadd('hour', -6, timestamp_utc) }} as date)
{%- endmacro %}


{#- clave_desconocida(): key of the unknown member (business key 'N/D') of every dimension. -#}
{% macro clave_desconocida() -%}
    {{ surrogate_key(["'N/D'"]) }}
{%- endmacro %}


{#-
    id_inferido(id)

    The business key of the inferred member a dimension creates for a source
    key it has not seen: the population_rules prefix (AUTO_) + the key.
-#}
{% macro id_inferido(id) -%}
    {{ dbt.concat(["'" ~ population_rules().prefix ~ "'", 'cast(' ~ id ~ ' as ' ~ dbt.type_string() ~ ')']) }}
{%- endmacro %}


{#-
    clave_dimension(id, clave_encontrada)

    Surrogate key of a non-SCD2 dimension for a fact's source key `id`:
      - id null                      -> the unknown member;
      - id found in the dimension    -> its key (`clave_encontrada`: the key
                                        column of a left join of the dimension
                                        on its business key, null when absent);
      - id absent from the dimension -> the inferred member, key of
                                        id_inferido(id).
-#}
{% macro clave_dimension(id, clave_encontrada) -%}
    case
        when {{ id }} is null then {{ clave_desconocida() }}
        when {{ clave_encontrada }} is not null then {{ clave_encontrada }}
        else {{ surrogate_key([id_inferido(id)]) }}
    end
{%- endmacro %}


{#-
    es_miembro_inferido(id, clave_encontrada)

    True when clave_dimension(id, clave_encontrada) is an inferred member:
    the fact row is reprocessed by later incremental runs until the
    dimension knows the key.
-#}
{% macro es_miembro_inferido(id, clave_encontrada) -%}
    ({{ id }} is not null and {{ clave_encontrada }} is null)
{%- endmacro %}


{#-
    inicio_ventana_incremental(columna, condicion=none, dias_atras=none)

    Start of the window an incremental fact reprocesses: the latest value
    of `columna` already in the fact (among its rows matching the SQL
    `condicion`, when given) minus `dias_atras` days (default
    var('lookback_days')), or the far past when there is none (so an empty
    target fills). A scalar subquery
    on {{ this }}: use it inside `{% if is_incremental() %}`. The condition
    keeps apart cursors that run on different clocks (e.g. Oro update times
    and POS load times in fact_ventas).
-#}
{% macro inicio_ventana_incremental(columna, condicion=none, dias_atras=none) -%}
    (
        select
            {{ dbt.dateadd(
                'day',
                -1 * ((var('lookback_days', 3) if dias_atras is none else dias_atras) | int),
                'coalesce(max(' ~ columna ~ "), cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ '))'
            ) }}
        from {{ this }}
        {%- if condicion is not none %}
            where {{ condicion }}
        {%- endif %}
    )
{%- endmacro %}


{#-
    canal_de_orden(origen_entidad_clase)

    dim_canal code of an Oro order: `web` when the order came from a
    storefront checkout (source entity Oro\Bundle\CheckoutBundle\...\Checkout:
    the customer placed it), `televentas` otherwise (entered or converted
    from a quote by a back-office user).
-#}
{% macro canal_de_orden(origen_entidad_clase) -%}
    case
        when {{ origen_entidad_clase }} like '%CheckoutBundle%' then 'web'
        else 'televentas'
    end
{%- endmacro %}


{#-
    filtro_incremental(incremental, relacion, id_columna, cursores)

    The condition that picks the source rows an incremental fact reprocesses,
    `true` when the model is not incremental (pass `is_incremental()` from the
    model itself, so unit tests can override it): a row of `relacion` is
    taken when, for any cursor, its cursor column is within the window of
    inicio_ventana_incremental (computed over the fact's rows matching the
    cursor's `condicion`, and applied to the source rows matching it too:
    write it with the bare column names both share),
    or when the fact holds it as provisional (es_provisional: an inferred
    member or a missing rate), or when the fact holds it with a key that
    its SCD2 dimension no longer has (claves_scd2): a version, a POS-only
    customer, an ERP-only product or an inferred member that the rebuilt
    dimension replaced (the real member arrived, the SKU reached Oro, the
    version's start moved). Such a row is re-keyed by this run whatever its
    age, so the fact never keeps a key outside its dimension and an
    incremental run ends like a full refresh. A macro so the model's SQL has no Jinja
    block inside its where clause (sqlfluff lays those out differently
    depending on whether the fact exists yet).
      cursores: list of {'columna': 'actualizado_at', 'condicion': "origen = 'oro'"}
                ('condicion' optional; the column is named alike in source and fact;
                optional 'dias_atras': the look-back in days instead of var
                lookback_days, 0 for the load clock cargado_at).
      claves_scd2: list of {'columna': 'cliente_key', 'dimension': ref('dim_cliente')}
                (optional): a fact key column and the dimension whose key
                column has the same name.
-#}
{% macro filtro_incremental(incremental, relacion, id_columna, cursores, claves_scd2=[]) -%}
    {%- if not incremental -%}
        true
    {%- else -%}
        (
            {%- for cursor in cursores %}
            (
                {%- if cursor.get('condicion') %}
                {{ cursor.condicion }} and
                {%- endif %}
                {{ relacion }}.{{ cursor.columna }}
                >= {{ inicio_ventana_incremental(cursor.columna, cursor.get('condicion'), cursor.get('dias_atras')) }}
            )
            or
            {%- endfor %}
            {{ relacion }}.{{ id_columna }} in (
                select anterior.{{ id_columna }}
                from {{ this }} as anterior
                {%- for clave in claves_scd2 %}
                left join {{ clave.dimension }} as dimension_{{ loop.index }}
                    on anterior.{{ clave.columna }} = dimension_{{ loop.index }}.{{ clave.columna }}
                {%- endfor %}
                where
                    anterior.es_provisional
                    {%- for clave in claves_scd2 %}
                    or dimension_{{ loop.index }}.{{ clave.columna }} is null
                    {%- endfor %}
            )
        )
    {%- endif -%}
{%- endmacro %}


{#-
    borrar_lineas_eliminadas(id_columna, vigentes)

    A post-hook of the incremental facts: deletes the fact's rows whose
    business key `id_columna` is no longer a loadable line of `vigentes`
    (the intermediate model the fact loads from, which holds every line,
    loadable or not: a loadable one has no motivo_rechazo). A source row
    deleted in Oro is marked `_deleted_at` in raw by the ingestion and left
    out of staging, so its line leaves the intermediate model; a line whose
    parent was deleted (an order whose lines' deletion is not detected yet)
    stays there but is now rejected (linea_sin_orden). delete+insert alone
    never removes either, since the fact's select skips rejected lines; this
    does, and the fact ends like a full refresh. Nothing is deleted on a
    full refresh. The deleted keys are recorded for the next publish of dw
    (registrar_borrados, macros/publicacion.sql).
-#}
{% macro borrar_lineas_eliminadas(id_columna, vigentes) -%}
    {%- set eliminada -%}
        not exists (
            select 1
            from {{ vigentes }} as vigente
            where
                vigente.{{ id_columna }} = {{ this.identifier }}.{{ id_columna }}
                and vigente.motivo_rechazo is null
        )
    {%- endset -%}
    {{ registrar_borrados(eliminada) }};
    delete from {{ this }}
    where {{ eliminada }}
{%- endmacro %}
