{#-
    dim_metodo_envio: one row per Oro shipping method and type the orders
    and order lines use (oro_order / oro_order_line_item shipping_method +
    shipping_method_type). Business key metodo_envio_id =
    clave_metodo_envio(method, type): 'flat_rate_1|primary' (the method
    identifier alone when the type is missing). Built from the fact sources
    themselves: no inferred members; an order without method goes to the
    unknown member.
-#}

with

ordenes as (

    select * from {{ ref('stg_orocommerce__orders') }}

),

lineas_orden as (

    select * from {{ ref('stg_orocommerce__order_line_items') }}

),

usados as (

    select
        metodo_envio,
        tipo_metodo_envio
    from ordenes

    union all

    select
        metodo_envio,
        tipo_metodo_envio
    from lineas_orden

),

metodos as (

    select
        {{ clave_metodo_envio('metodo_envio', 'tipo_metodo_envio') }} as metodo_envio_id,
        min(trim(metodo_envio)) as metodo_codigo,
        min(nullif(trim(tipo_metodo_envio), '')) as tipo_codigo
    from usados
    where {{ clave_metodo_envio('metodo_envio', 'tipo_metodo_envio') }} is not null
    group by {{ clave_metodo_envio('metodo_envio', 'tipo_metodo_envio') }}

),

clasificados as (

    select
        metodo_envio_id,
        metodo_codigo,
        tipo_codigo,
        lower(regexp_replace(metodo_codigo, '_[0-9]+$', '')) as tipo_integracion
    from metodos

),

descritos as (

    select
        cast(metodo_envio_id as {{ dbt.type_string() }}) as metodo_envio_id,
        cast(metodo_codigo as {{ dbt.type_string() }}) as metodo_codigo,
        cast(coalesce(tipo_codigo, 'N/D') as {{ dbt.type_string() }}) as tipo_codigo,
        cast(tipo_integracion as {{ dbt.type_string() }}) as tipo_integracion,
        cast(
            coalesce(
                case tipo_integracion
                    when 'flat_rate' then 'Tarifa plana'
                    when 'fixed_product' then 'Costo fijo por producto'
                    when 'ups' then 'UPS'
                    when 'fedex_integration' then 'FedEx'
                    when 'dpd' then 'DPD'
                    when 'multi_shipping' then 'Envío múltiple'
                end,
                metodo_codigo
            )
            || case
                when tipo_codigo = 'primary' then ' (principal)'
                when tipo_codigo is not null then ' (' || tipo_codigo || ')'
                else ''
            end as {{ dbt.type_string() }}
        ) as nombre,
        false as es_inferido
    from clasificados

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as metodo_envio_id,
        cast('N/D' as {{ dbt.type_string() }}) as metodo_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as tipo_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as tipo_integracion,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        false as es_inferido

),

unidos as (

    select * from descritos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['metodo_envio_id']) }} as metodo_envio_key,
        metodo_envio_id,
        metodo_codigo,
        tipo_codigo,
        tipo_integracion,
        nombre,
        es_inferido
    from unidos

)

select * from final
