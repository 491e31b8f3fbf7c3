{#-
    vigencia_scd2: the validity periods of an SCD2 dimension are well formed.
    For every business key (`clave_negocio`):
      - each version starts before it ends (desde < hasta);
      - versions follow one another without gap or overlap: a version ends
        exactly where the next one starts;
      - exactly one version is current (`actual` true), the last one.
    Returns one row per offending version with the reason (`motivo`).
    Declared on the model. Optional `where`: dbt's standard test config.
-#}
{% test vigencia_scd2(model, clave_negocio, desde='valido_desde', hasta='valido_hasta', actual='es_actual') %}

    with

    versiones as (

        select
            {{ clave_negocio }} as clave,
            {{ desde }} as desde,
            {{ hasta }} as hasta,
            {{ actual }} as actual,
            lead({{ desde }}) over (
                partition by {{ clave_negocio }} order by {{ desde }}
            ) as desde_siguiente,
            sum(case when {{ actual }} then 1 else 0 end) over (
                partition by {{ clave_negocio }}
            ) as versiones_actuales
        from {{ model }}

    ),

    errores as (

        select
            clave,
            desde,
            hasta,
            case
                when desde is null or hasta is null then 'vigencia nula'
                when desde >= hasta then 'desde no es anterior a hasta'
                when desde_siguiente is not null and hasta != desde_siguiente
                    then 'hueco o solape con la version siguiente'
                when versiones_actuales != 1 then 'no hay exactamente una version actual'
                when actual and desde_siguiente is not null then 'la version actual no es la ultima'
            end as motivo
        from versiones

    )

    select *
    from errores
    where motivo is not null

{% endtest %}
