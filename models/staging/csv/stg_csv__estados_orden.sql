{#-
    The staged order statuses: the lines of base_csv__estados_orden that
    break no rule (the others are in stg_csv__rechazos).
-#}
-- depends_on: {{ source('csv', 'estados_orden') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__estados_orden') }}

),

final as (

    select
        estado_orden_codigo,
        estado_orden_codigo__poblado,
        nombre,
        descripcion,
        es_final,
        es_final__invalido,
        posicion,
        posicion__invalido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
