{#-
    OroCRM opportunities prepared for fact_oportunidades: one row per
    opportunity with its milestone dates (creation, expected close, actual
    close, in local days), the business keys of its dimensions and its
    measures. Account and Oro customer come from the opportunity's customer
    association. Channel: the data channel of the association's B2B
    customer, mapped to dim_canal (int_dim_canal__orocrm); an association
    to an OroCommerce customer is the commerce channel; no association ->
    unknown.
-#}

with

oportunidades as (

    select * from {{ ref('stg_orocrm__opportunities') }}

),

asociaciones as (

    select * from {{ ref('stg_orocrm__customer_associations') }}

),

clientes_b2b as (

    select * from {{ ref('stg_orocrm__b2b_customers') }}

),

canales_crm as (

    select * from {{ ref('int_dim_canal__orocrm') }}

),

canal_commerce as (

    select min(canal_id) as canal_id
    from canales_crm
    where tipo_canal_oro = 'commerce'

),

final as (

    select
        cast(oportunidades.oportunidad_id as {{ dbt.type_string() }}) as oportunidad_id,
        oportunidades.created_at as creada_at,
        {{ fecha_local('oportunidades.created_at') }} as fecha_creacion,
        oportunidades.fecha_cierre_esperada,
        oportunidades.cerrada_at,
        {{ fecha_local('oportunidades.cerrada_at') }} as fecha_cierre,
        cast(asociaciones.cuenta_id as {{ dbt.type_string() }}) as cuenta_id,
        cast(oportunidades.contacto_id as {{ dbt.type_string() }}) as contacto_id,
        cast(asociaciones.cliente_id as {{ dbt.type_string() }}) as cliente_id,
        cast(oportunidades.usuario_propietario_id as {{ dbt.type_string() }}) as empleado_id,
        coalesce(
            canales_crm.canal_id,
            case when asociaciones.cliente_id is not null then canal_commerce.canal_id end
        ) as canal_codigo,
        oportunidades.estado as estado_oportunidad_codigo,
        oportunidades.moneda,
        oportunidades.monto_presupuesto,
        coalesce(oportunidades.moneda_presupuesto, oportunidades.moneda) as moneda_presupuesto,
        oportunidades.ingreso_cierre,
        coalesce(oportunidades.moneda_ingreso_cierre, oportunidades.moneda) as moneda_ingreso_cierre,
        cast(oportunidades.probabilidad as decimal(9, 6)) as probabilidad,
        cast(
            round(oportunidades.monto_presupuesto * cast(oportunidades.probabilidad as decimal(9, 6)), 4)
            as decimal(19, 4)
        ) as monto_ponderado,
        {{ dbt.datediff(
            fecha_local('oportunidades.created_at'), fecha_local('oportunidades.cerrada_at'), 'day'
        ) }} as dias_a_cierre,
        oportunidades.updated_at as actualizado_at,
        -- the load clock (customer associations are extracted whole every run: left out)
        oportunidades._cargado_at as cargado_at,
        case
            when oportunidades.created_at is null then 'fecha_creacion_nula'
        end as motivo_rechazo
    from oportunidades
    left join asociaciones
        on oportunidades.asociacion_cliente_id = asociaciones.asociacion_cliente_id
    left join clientes_b2b
        on asociaciones.cliente_b2b_id = clientes_b2b.cliente_b2b_id
    left join canales_crm
        on clientes_b2b.canal_id = canales_crm.crm_canal_id
    left join canal_commerce
        on 1 = 1

)

select * from final
