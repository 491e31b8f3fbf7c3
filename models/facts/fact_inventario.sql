{#-
    fact_inventario: periodic snapshot, the stock of every product x
    store/warehouse x unit on the snapshot day: var `fecha_snapshot`
    (YYYY-MM-DD), by default the day of the run (UTC). Each run adds its
    day and replaces that day's rows when run again the same day (delete +
    insert on fecha_key), so the history of earlier days is kept.
    full_refresh is off: the source has no history, a rebuild could not
    restore past days (drop the table by hand to start over).
    The product is the version valid at the end of the snapshot day.
    Tag `diario`: a run on a new day builds it even when no source changed
    (ingest/build_state.py).
-#}
{%- set fecha_snapshot = var('fecha_snapshot', none) -%}
{%- if fecha_snapshot is not none
    and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', fecha_snapshot | string) -%}
    {{ exceptions.raise_compiler_error(
        "var fecha_snapshot must be a date written YYYY-MM-DD, got '" ~ fecha_snapshot ~ "'"
    ) }}
{%- endif -%}
{%- set dia_snapshot = "cast('" ~ fecha_snapshot ~ "' as date)" if fecha_snapshot is not none
    else "cast(" ~ dbt.current_timestamp() ~ " as date)" -%}

{{ config(
    unique_key='fecha_key',
    on_schema_change='fail',
    full_refresh=false,
    tags=['diario']
) }}


with

inventario as (

    select * from {{ ref('int_fact_inventario') }}

),

dim_producto as (

    select * from {{ ref('dim_producto') }}

),

dim_almacen as (

    select * from {{ ref('dim_almacen') }}

),

dim_unidad_medida as (

    select * from {{ ref('dim_unidad_medida') }}

),

niveles as (

    select
        inventario.*,
        {{ dia_snapshot }} as fecha_snapshot,
        -- the end of the snapshot day: the product version valid then
        {{ dbt.dateadd('second', 86399, 'cast(' ~ dia_snapshot ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
            as momento_snapshot
    from inventario
    where inventario.motivo_rechazo is null

),

-- SCD2 versions by their published ranges (macro versiones_scd2)
versiones_producto as (

    {{ versiones_scd2('dim_producto', ['producto_key', 'producto_id']) }}

),

claves as (

    select
        niveles.*,
        producto.producto_key as producto_key_encontrada,
        producto_inferido.producto_key as producto_key_inferida,
        dim_almacen.almacen_key as almacen_key_encontrada,
        dim_unidad_medida.unidad_medida_key as unidad_medida_key_encontrada
    from niveles
    left join versiones_producto as producto
        on
            niveles.producto_id = producto.producto_id
            and niveles.momento_snapshot >= producto.vigente_desde
            and niveles.momento_snapshot < producto.vigente_hasta
    left join versiones_producto as producto_inferido
        on
            {{ id_inferido('niveles.producto_id') }} = producto_inferido.producto_id
            and niveles.momento_snapshot >= producto_inferido.vigente_desde
            and niveles.momento_snapshot < producto_inferido.vigente_hasta
    left join dim_almacen
        on niveles.almacen_codigo = dim_almacen.almacen_id
    left join dim_unidad_medida
        on niveles.unidad_codigo = dim_unidad_medida.unidad_medida_id

),

final as (

    select
        {{ surrogate_key(['fecha_snapshot', 'nivel_inventario_id']) }} as inventario_key,
        nivel_inventario_id,
        {{ fecha_a_clave('fecha_snapshot') }} as fecha_key,
        coalesce(producto_key_encontrada, producto_key_inferida) as producto_key,
        {{ clave_dimension('almacen_codigo', 'almacen_key_encontrada') }} as almacen_key,
        {{ clave_dimension('unidad_codigo', 'unidad_medida_key_encontrada') }} as unidad_medida_key,
        cantidad,
        valor_costo,
        fecha_snapshot
    from claves

)

select * from final
