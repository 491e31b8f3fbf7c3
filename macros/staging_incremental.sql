{#-
    cargas_nuevas(incremental)

    The condition that picks the raw rows an incremental staging table takes
    in this build, `true` when the model is not incremental (pass
    `is_incremental()` from the model itself): the rows of every load
    package (`_dlt_load_id`) the table does not hold yet. Raw keeps one row
    per primary key (dlt merges on it), so a changed source row arrives with
    a new load id and replaces the staged one (delete+insert on the model's
    unique_key). Not a "newer than the latest load" cursor: a package
    finished late (a resumed extract) has an older id than rows already
    staged and is still taken. A package the table never holds (deletion
    marks only) is read again by every build and left out by the model's own
    filter: a scan of raw's load ids, no rows written.
-#}
{% macro cargas_nuevas(incremental) -%}
    {%- if not incremental -%}
        true
    {%- else -%}
        _dlt_load_id not in (
            select distinct anterior._dlt_load_id
            from {{ this }} as anterior
        )
    {%- endif -%}
{%- endmacro %}


{#-
    borrar_claves_ausentes(relacion, clave_relacion, tipo, clave=none, solo_vigentes=false)

    Post-hook of an incremental model whose rows each come from one row of
    `relacion` (a source or a ref): deletes the model's rows whose key
    `clave` (default: the model's unique_key) matches no `clave_relacion`
    of `relacion` (cast to `tipo`, as the model casts it) any more, or with
    `solo_vigentes` no row that the ingestion has not marked deleted
    (`_deleted_at`), as the model's own filter reads raw. So the table
    holds exactly what a full build would: a row marked deleted in the
    source leaves, and so does a row gone from a reloaded raw table or from
    the staging table it was computed from. One anti-join of the two key
    sets; nothing on a full build. Used by the incremental Oro staging
    tables (dbt_project.yml) and int_fact_ventas_oro.
-#}
{% macro borrar_claves_ausentes(relacion, clave_relacion, tipo, clave=none, solo_vigentes=false) -%}
    {%- set clave = clave or config.get('unique_key') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as anterior
        where not exists (
            select 1
            from {{ relacion }} as fila
            where
                cast(fila.{{ clave_relacion }} as {{ tipo }}) = anterior.{{ clave }}
                {%- if solo_vigentes %}
                and fila._deleted_at is null
                {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}
