{#-
    dim_estado_orden: one row per order status code (business key
    estado_orden_id = the code in lower case, as Oro's
    order_internal_status option: open, pending, processing, closed,
    cancelled), the union of the catalogue estados_orden.csv (which may be
    incomplete) and the Oro enum options of order_internal_status. The
    CSV wins on name, description, es_final and position; a status only
    in Oro gets a Spanish name for the known codes (else Oro's label),
    es_final for closed / cancelled, and Oro's priority as position.
    es_cancelado is true for cancelled (canceled). Plus inferred members for
    statuses orders carry that neither side knows, and the unknown member.
-#}

with

estados_csv as (

    select * from {{ ref('stg_csv__estados_orden') }}

),

opciones_enum as (

    select * from {{ ref('stg_orocommerce__enum_options') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

estados_oro as (

    select
        nombre,
        prioridad,
        lower(trim(opcion_codigo)) as estado_orden_id
    from opciones_enum
    where enum_codigo = 'order_internal_status'

),

combinados as (

    select
        estados_csv.nombre as nombre_csv,
        estados_oro.nombre as nombre_oro,
        estados_csv.descripcion,
        estados_csv.es_final as es_final_csv,
        coalesce(estados_csv.estado_orden_codigo, estados_oro.estado_orden_id) as estado_orden_id,
        coalesce(estados_csv.posicion, estados_oro.prioridad) as posicion,
        case
            when estados_csv.estado_orden_codigo is not null and estados_oro.estado_orden_id is not null
                then 'ambos'
            when estados_csv.estado_orden_codigo is not null then 'csv'
            else 'oro'
        end as origen
    from estados_csv
    full outer join estados_oro
        on estados_csv.estado_orden_codigo = estados_oro.estado_orden_id

),

estados as (

    select
        cast(estado_orden_id as {{ dbt.type_string() }}) as estado_orden_id,
        cast(
            coalesce(
                nombre_csv,
                case estado_orden_id
                    when 'open' then 'Abierta'
                    when 'pending' then 'Pendiente'
                    when 'processing' then 'En proceso'
                    when 'closed' then 'Cerrada'
                    when 'cancelled' then 'Cancelada'
                    when 'canceled' then 'Cancelada'
                    when 'archived' then 'Archivada'
                    when 'shipped' then 'Enviada'
                end,
                nombre_oro,
                estado_orden_id
            ) as {{ dbt.type_string() }}
        ) as nombre,
        cast(coalesce(nombre_oro, 'N/D') as {{ dbt.type_string() }}) as nombre_oro,
        cast(coalesce(descripcion, 'N/D') as {{ dbt.type_string() }}) as descripcion,
        coalesce(
            es_final_csv,
            estado_orden_id in ('closed', 'cancelled', 'canceled', 'archived')
        ) as es_final,
        estado_orden_id in ('cancelled', 'canceled') as es_cancelado,
        cast(posicion as integer) as posicion,
        cast(origen as {{ dbt.type_string() }}) as origen,
        false as es_inferido
    from combinados

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as estado_orden_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_oro,
        cast('N/D' as {{ dbt.type_string() }}) as descripcion,
        false as es_final,
        false as es_cancelado,
        cast(null as integer) as posicion,
        cast('inferido' as {{ dbt.type_string() }}) as origen,
        true as es_inferido
    from claves_referenciadas
    left join estados
        on claves_referenciadas.clave = estados.estado_orden_id
    where
        claves_referenciadas.dimension = 'estado_orden'
        and estados.estado_orden_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as estado_orden_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_oro,
        cast('N/D' as {{ dbt.type_string() }}) as descripcion,
        false as es_final,
        false as es_cancelado,
        cast(null as integer) as posicion,
        cast('N/D' as {{ dbt.type_string() }}) as origen,
        false as es_inferido

),

unidos as (

    select * from estados
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['estado_orden_id']) }} as estado_orden_key,
        estado_orden_id,
        nombre,
        nombre_oro,
        descripcion,
        es_final,
        es_cancelado,
        posicion,
        origen,
        es_inferido
    from unidos

)

select * from final
