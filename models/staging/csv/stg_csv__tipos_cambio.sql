{#-
    The staged exchange rates: the lines of base_csv__tipos_cambio that
    break no rule (the others are in stg_csv__rechazos).
-#}
-- depends_on: {{ source('csv', 'tipos_cambio') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__tipos_cambio') }}

),

final as (

    select
        fecha,
        moneda,
        tasa_usd,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
