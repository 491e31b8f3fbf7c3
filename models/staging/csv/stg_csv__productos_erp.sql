{#-
    The staged ERP products: the lines of base_csv__productos_erp that
    break no rule (the others are in stg_csv__rechazos).
-#}
-- depends_on: {{ source('csv', 'productos_erp') }}
-- (declared: the run's validation report of this model compares the raw lines with the staged ones)

with

lineas as (

    select * from {{ ref('base_csv__productos_erp') }}

),

final as (

    select
        sku,
        sku__poblado,
        nombre,
        costo_unitario,
        costo_unitario__invalido,
        marca,
        estado,
        estado__poblado,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from lineas
    where _motivo_rechazo is null

)

select * from final
