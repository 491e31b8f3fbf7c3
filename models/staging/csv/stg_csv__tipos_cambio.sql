{#-
    The staged exchange rates: the lines of base_csv__tipos_cambio that
    break no rule (the others are in stg_csv__rechazos).
-#}

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
