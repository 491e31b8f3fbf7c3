{#-
    The staged stores and warehouses: the lines of base_csv__sucursales that
    break no rule (the others are in stg_csv__rechazos).
-#}
-- depends_on: {{ source('csv', 'sucursales') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__sucursales') }}

),

final as (

    select
        sucursal_codigo,
        sucursal_codigo__poblado,
        nombre,
        tipo,
        tipo__poblado,
        ciudad,
        departamento,
        pais,
        pais__poblado,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
