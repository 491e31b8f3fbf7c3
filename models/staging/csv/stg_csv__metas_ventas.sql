{#-
    The staged sales targets: the lines of base_csv__metas_ventas that
    break no rule (the others are in stg_csv__rechazos).
-#}
-- depends_on: {{ source('csv', 'metas_ventas') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__metas_ventas') }}

),

final as (

    select
        fecha_mes,
        canal,
        empleado_email,
        sucursal_codigo,
        monto_meta,
        moneda,
        moneda__poblado,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
