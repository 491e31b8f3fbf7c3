{#-
    int_dim_canal__orocrm: each OroCRM channel (orocrm_channel) with the
    dim_canal business key it belongs to, one row per crm_canal_id. A
    channel maps by its channel_type to the seed channel whose
    oro_channel_type is that type (commerce -> web, b2b -> b2b,
    custom -> televentas); a channel whose type maps to no seed channel
    becomes a channel of its own, canal_id 'orocrm_<id>'. The facts map a
    CRM channel id (e.g. the b2b customer's data channel of an
    opportunity) to dim_canal through this model.
-#}

with

canales_crm as (

    select * from {{ ref('stg_orocrm__channels') }}

),

canales_venta as (

    select * from {{ ref('canales_venta') }}

),

final as (

    select
        canales_crm.canal_id as crm_canal_id,
        cast(
            coalesce(
                canales_venta.codigo,
                'orocrm_' || cast(canales_crm.canal_id as {{ dbt.type_string() }})
            ) as {{ dbt.type_string() }}
        ) as canal_id,
        canales_venta.codigo is not null as es_mapeado,
        cast(canales_crm.nombre as {{ dbt.type_string() }}) as crm_canal_nombre,
        cast(lower(trim(canales_crm.tipo_canal)) as {{ dbt.type_string() }}) as tipo_canal_oro,
        canales_crm.es_activo
    from canales_crm
    left join canales_venta
        on lower(trim(canales_crm.tipo_canal)) = lower(trim(canales_venta.oro_channel_type))

)

select * from final
