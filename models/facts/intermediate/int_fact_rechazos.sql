{#-
    Every source row a fact does not load, with the reason, so that each
    fact reconciles with its sources: source rows = fact rows + rejected
    rows. One row per rejected record:
      etapa 'hecho'  a staged row that fails a required field of its fact
                     (the motivo_rechazo of the int_fact_* models);
      etapa 'carga'  a CSV line that is not staged (stg_csv__rechazos): one
                     the loader could not split (tipo_rechazo malformada)
                     or whose values break a staging rule (valor);
      etapa 'duplicado'  a CSV line whose key repeats an earlier line
                     (stg_csv__rechazos, tipo_rechazo duplicado).
                     Both reconcile the raw file with the fact.
    monto: the amount the row would have added to the fact's main money
    measure (gross amount, payment amount, target), when it can be computed.
-#}

with

ventas_lineas as (

    select * from {{ ref('int_fact_ventas_lineas') }}

),

pagos as (

    select * from {{ ref('int_fact_pagos') }}

),

oportunidades as (

    select * from {{ ref('int_fact_oportunidades') }}

),

metas as (

    select * from {{ ref('int_fact_metas_ventas') }}

),

inventario as (

    select * from {{ ref('int_fact_inventario') }}

),

rechazos_csv as (

    select * from {{ ref('stg_csv__rechazos') }}

),

rechazados as (

    select
        'fact_ventas' as hecho,
        'hecho' as etapa,
        origen,
        venta_id as registro_id,
        motivo_rechazo as motivo,
        monto_bruto as monto
    from ventas_lineas
    where motivo_rechazo is not null

    union all

    select
        'fact_ventas' as hecho,
        case when tipo_rechazo = 'duplicado' then 'duplicado' else 'carga' end as etapa,
        'tienda' as origen,
        {{ dbt.concat(['_source_file', "':'", 'cast(_source_line as ' ~ dbt.type_string() ~ ')']) }}
            as registro_id,
        motivo,
        cast(null as decimal(19, 4)) as monto
    from rechazos_csv
    where tabla_origen = 'transacciones_tienda'

    union all

    select
        'fact_pagos' as hecho,
        'hecho' as etapa,
        'oro' as origen,
        pago_id as registro_id,
        motivo_rechazo as motivo,
        monto
    from pagos
    where motivo_rechazo is not null

    union all

    select
        'fact_oportunidades' as hecho,
        'hecho' as etapa,
        'orocrm' as origen,
        oportunidad_id as registro_id,
        motivo_rechazo as motivo,
        monto_presupuesto as monto
    from oportunidades
    where motivo_rechazo is not null

    union all

    select
        'fact_metas_ventas' as hecho,
        'hecho' as etapa,
        'csv' as origen,
        meta_id as registro_id,
        motivo_rechazo as motivo,
        monto_meta as monto
    from metas
    where motivo_rechazo is not null

    union all

    select
        'fact_metas_ventas' as hecho,
        case when tipo_rechazo = 'duplicado' then 'duplicado' else 'carga' end as etapa,
        'csv' as origen,
        {{ dbt.concat(['_source_file', "':'", 'cast(_source_line as ' ~ dbt.type_string() ~ ')']) }}
            as registro_id,
        motivo,
        cast(null as decimal(19, 4)) as monto
    from rechazos_csv
    where tabla_origen = 'metas_ventas'

    union all

    select
        'fact_inventario' as hecho,
        'hecho' as etapa,
        'oro' as origen,
        nivel_inventario_id as registro_id,
        motivo_rechazo as motivo,
        cast(null as decimal(19, 4)) as monto
    from inventario
    where motivo_rechazo is not null

),

final as (

    select
        cast(hecho as {{ dbt.type_string() }}) as hecho,
        cast(etapa as {{ dbt.type_string() }}) as etapa,
        cast(origen as {{ dbt.type_string() }}) as origen,
        cast(registro_id as {{ dbt.type_string() }}) as registro_id,
        cast(motivo as {{ dbt.type_string() }}) as motivo,
        cast(monto as decimal(19, 4)) as monto
    from rechazados

)

select * from final
