{#-
    The CSV lines the loader could not split (wrong number of fields, bad
    encoding, empty line): the loader keeps them in their raw table with
    the reason in `_rechazo` and the text in `_contenido`, so every line of
    every file is accounted for. The one staging model over several raw
    tables: a union of the rejected lines, no joins.
-#}

with

estados_orden as (

    select * from {{ source('csv', 'estados_orden') }}

),

transacciones_tienda as (

    select * from {{ source('csv', 'transacciones_tienda') }}

),

metas_ventas as (

    select * from {{ source('csv', 'metas_ventas') }}

),

productos_erp as (

    select * from {{ source('csv', 'productos_erp') }}

),

sucursales as (

    select * from {{ source('csv', 'sucursales') }}

),

tipos_cambio as (

    select * from {{ source('csv', 'tipos_cambio') }}

),

rechazos as (

    select
        cast('estados_orden' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from estados_orden
    where _rechazo is not null

    union all

    select
        cast('transacciones_tienda' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from transacciones_tienda
    where _rechazo is not null

    union all

    select
        cast('metas_ventas' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from metas_ventas
    where _rechazo is not null

    union all

    select
        cast('productos_erp' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from productos_erp
    where _rechazo is not null

    union all

    select
        cast('sucursales' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from sucursales
    where _rechazo is not null

    union all

    select
        cast('tipos_cambio' as varchar) as tabla_origen,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        cast(_rechazo as varchar) as motivo,
        cast(_contenido as varchar) as contenido,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from tipos_cambio
    where _rechazo is not null

),

-- one row per file line: the latest load
final as (

    {{ deduplicate('rechazos', '_source_file, _source_line', '_cargado_at desc nulls last') }}

)

select * from final
