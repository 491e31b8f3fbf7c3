{#-
    fact_oportunidades: accumulating snapshot, one row per OroCRM
    opportunity, replaced as it moves through the pipeline (incremental on
    its updated_at with var lookback_days). Role-playing dates: creation,
    expected close and actual close (dim_fecha; -1 while open). The Oro
    customer is point-in-time at creation. Money in the opportunity's
    currencies with USD twins: the budget (and the weighted amount) at the
    creation day's rate, the close revenue at the close day's rate.
-#}
{{ config(
    unique_key='oportunidad_key',
    on_schema_change='fail',
    post_hook=["{{ borrar_lineas_eliminadas('oportunidad_id', ref('int_fact_oportunidades')) }}"]
) }}


with

oportunidades as (

    select * from {{ ref('int_fact_oportunidades') }}

),

tasas_cambio as (

    select * from {{ ref('int_fact_tasas_cambio_diarias') }}

),

dim_cuenta as (

    select * from {{ ref('dim_cuenta') }}

),

dim_contacto as (

    select * from {{ ref('dim_contacto') }}

),

dim_cliente as (

    select * from {{ ref('dim_cliente') }}

),

dim_empleado as (

    select * from {{ ref('dim_empleado') }}

),

dim_canal as (

    select * from {{ ref('dim_canal') }}

),

dim_estado_oportunidad as (

    select * from {{ ref('dim_estado_oportunidad') }}

),

dim_moneda as (

    select * from {{ ref('dim_moneda') }}

),

oportunidades_a_cargar as (

    select oportunidades.*
    from oportunidades
    where
        oportunidades.motivo_rechazo is null
        and {{ filtro_incremental(
            is_incremental(),
            'oportunidades',
            'oportunidad_id',
            [{'columna': 'actualizado_at'}, {'columna': 'cargado_at', 'dias_atras': 0}],
            [
                {'columna': 'cliente_key', 'dimension': ref('dim_cliente')},
            ]
        ) }}

),

-- SCD2 versions by their published ranges (macro versiones_scd2)
versiones_cliente as (

    {{ versiones_scd2('dim_cliente', ['cliente_key', 'cliente_id']) }}

),

claves as (

    select
        oportunidades_a_cargar.*,
        {{ fecha_a_clave('oportunidades_a_cargar.fecha_creacion') }} as fecha_creacion_key,
        {{ fecha_a_clave('oportunidades_a_cargar.fecha_cierre_esperada') }} as fecha_cierre_esperada_key,
        {{ fecha_a_clave('oportunidades_a_cargar.fecha_cierre') }} as fecha_cierre_key,
        dim_cuenta.cuenta_key as cuenta_key_encontrada,
        dim_contacto.contacto_key as contacto_key_encontrada,
        cliente.cliente_key as cliente_key_encontrada,
        cliente_inferido.cliente_key as cliente_key_inferida,
        dim_empleado.empleado_key as empleado_key_encontrada,
        dim_canal.canal_key as canal_key_encontrada,
        dim_estado_oportunidad.estado_oportunidad_key as estado_oportunidad_key_encontrada,
        dim_moneda.moneda_key as moneda_key_encontrada,
        tasa_creacion.tasa_usd as tasa_usd_presupuesto,
        tasa_cierre.tasa_usd as tasa_usd_ingreso_cierre
    from oportunidades_a_cargar
    left join dim_cuenta
        on oportunidades_a_cargar.cuenta_id = dim_cuenta.cuenta_id
    left join dim_contacto
        on oportunidades_a_cargar.contacto_id = dim_contacto.contacto_id
    left join versiones_cliente as cliente
        on
            oportunidades_a_cargar.cliente_id = cliente.cliente_id
            and oportunidades_a_cargar.creada_at >= cliente.vigente_desde
            and oportunidades_a_cargar.creada_at < cliente.vigente_hasta
    left join versiones_cliente as cliente_inferido
        on
            {{ id_inferido('oportunidades_a_cargar.cliente_id') }} = cliente_inferido.cliente_id
            and oportunidades_a_cargar.creada_at >= cliente_inferido.vigente_desde
            and oportunidades_a_cargar.creada_at < cliente_inferido.vigente_hasta
    left join dim_empleado
        on oportunidades_a_cargar.empleado_id = dim_empleado.empleado_id
    left join dim_canal
        on oportunidades_a_cargar.canal_codigo = dim_canal.canal_id
    left join dim_estado_oportunidad
        on oportunidades_a_cargar.estado_oportunidad_codigo = dim_estado_oportunidad.estado_oportunidad_id
    left join dim_moneda
        on oportunidades_a_cargar.moneda = dim_moneda.moneda_id
    left join tasas_cambio as tasa_creacion
        on
            oportunidades_a_cargar.fecha_creacion = tasa_creacion.fecha
            and oportunidades_a_cargar.moneda_presupuesto = tasa_creacion.moneda
    left join tasas_cambio as tasa_cierre
        on
            coalesce(oportunidades_a_cargar.fecha_cierre, oportunidades_a_cargar.fecha_creacion)
            = tasa_cierre.fecha
            and oportunidades_a_cargar.moneda_ingreso_cierre = tasa_cierre.moneda

),

final as (

    select
        {{ surrogate_key(['oportunidad_id']) }} as oportunidad_key,
        oportunidad_id,
        fecha_creacion_key,
        fecha_cierre_esperada_key,
        fecha_cierre_key,
        {{ clave_dimension('cuenta_id', 'cuenta_key_encontrada') }} as cuenta_key,
        {{ clave_dimension('contacto_id', 'contacto_key_encontrada') }} as contacto_key,
        case
            when cliente_id is null then {{ clave_desconocida() }}
            else coalesce(cliente_key_encontrada, cliente_key_inferida)
        end as cliente_key,
        {{ clave_dimension('empleado_id', 'empleado_key_encontrada') }} as empleado_key,
        {{ clave_dimension('canal_codigo', 'canal_key_encontrada') }} as canal_key,
        {{ clave_dimension('estado_oportunidad_codigo', 'estado_oportunidad_key_encontrada') }}
            as estado_oportunidad_key,
        {{ clave_dimension('moneda', 'moneda_key_encontrada') }} as moneda_key,
        monto_presupuesto,
        ingreso_cierre,
        probabilidad,
        monto_ponderado,
        {{ convertir_a_usd('monto_presupuesto', 'moneda_presupuesto', 'tasa_usd_presupuesto') }}
            as monto_presupuesto_usd,
        {{ convertir_a_usd('ingreso_cierre', 'moneda_ingreso_cierre', 'tasa_usd_ingreso_cierre') }}
            as ingreso_cierre_usd,
        {{ convertir_a_usd('monto_ponderado', 'moneda_presupuesto', 'tasa_usd_presupuesto') }}
            as monto_ponderado_usd,
        cast(dias_a_cierre as integer) as dias_a_cierre,
        fecha_cierre is not null as es_cerrada,
        (
            {{ es_miembro_inferido('cuenta_id', 'cuenta_key_encontrada') }}
            or {{ es_miembro_inferido('contacto_id', 'contacto_key_encontrada') }}
            or (cliente_id is not null and cliente_key_encontrada is null)
            or {{ es_miembro_inferido('empleado_id', 'empleado_key_encontrada') }}
            or {{ es_miembro_inferido('canal_codigo', 'canal_key_encontrada') }}
            or {{ es_miembro_inferido('estado_oportunidad_codigo', 'estado_oportunidad_key_encontrada') }}
            or {{ es_miembro_inferido('moneda', 'moneda_key_encontrada') }}
            or (upper(moneda_presupuesto) != 'USD' and tasa_usd_presupuesto is null)
        ) as es_provisional,
        creada_at,
        actualizado_at,
        cargado_at
    from claves

)

select * from final
