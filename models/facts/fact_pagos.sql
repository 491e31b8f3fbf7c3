{#-
    fact_pagos: one row per Oro payment transaction (authorize, capture,
    invoice, purchase, cancel...), from int_fact_pagos; transactions without
    a valid amount are counted in int_fact_rechazos instead. The customer is
    the order's, point-in-time (the version valid when the transaction was
    registered). Incremental on the transaction's (or its order's) update
    time with var lookback_days, plus the rows still provisional.
-#}
{{ config(
    unique_key='pago_key',
    on_schema_change='fail',
    post_hook=["{{ borrar_lineas_eliminadas('pago_id', ref('int_fact_pagos')) }}"]
) }}


with

pagos as (

    select * from {{ ref('int_fact_pagos') }}

),

tasas_cambio as (

    select * from {{ ref('int_fact_tasas_cambio_diarias') }}

),

dim_cliente as (

    select * from {{ ref('dim_cliente') }}

),

dim_metodo_pago as (

    select * from {{ ref('dim_metodo_pago') }}

),

dim_moneda as (

    select * from {{ ref('dim_moneda') }}

),

dim_sitio_web as (

    select * from {{ ref('dim_sitio_web') }}

),

dim_canal as (

    select * from {{ ref('dim_canal') }}

),

pagos_a_cargar as (

    select pagos.*
    from pagos
    where
        pagos.motivo_rechazo is null
        and {{ filtro_incremental(
            is_incremental(),
            'pagos',
            'pago_id',
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
        pagos_a_cargar.*,
        {{ fecha_a_clave('pagos_a_cargar.fecha_pago') }} as fecha_key,
        cliente.cliente_key as cliente_key_encontrada,
        cliente_inferido.cliente_key as cliente_key_inferida,
        dim_metodo_pago.metodo_pago_key as metodo_pago_key_encontrada,
        dim_moneda.moneda_key as moneda_key_encontrada,
        dim_sitio_web.sitio_web_key as sitio_web_key_encontrada,
        dim_canal.canal_key as canal_key_encontrada,
        tasas_cambio.tasa_usd
    from pagos_a_cargar
    left join versiones_cliente as cliente
        on
            pagos_a_cargar.cliente_id = cliente.cliente_id
            and pagos_a_cargar.registrado_at >= cliente.vigente_desde
            and pagos_a_cargar.registrado_at < cliente.vigente_hasta
    left join versiones_cliente as cliente_inferido
        on
            {{ id_inferido('pagos_a_cargar.cliente_id') }} = cliente_inferido.cliente_id
            and pagos_a_cargar.registrado_at >= cliente_inferido.vigente_desde
            and pagos_a_cargar.registrado_at < cliente_inferido.vigente_hasta
    left join dim_metodo_pago
        on pagos_a_cargar.metodo_pago_codigo = dim_metodo_pago.metodo_pago_id
    left join dim_moneda
        on pagos_a_cargar.moneda = dim_moneda.moneda_id
    left join dim_sitio_web
        on pagos_a_cargar.sitio_web_id = dim_sitio_web.sitio_web_id
    left join dim_canal
        on pagos_a_cargar.canal_codigo = dim_canal.canal_id
    left join tasas_cambio
        on
            pagos_a_cargar.fecha_pago = tasas_cambio.fecha
            and pagos_a_cargar.moneda = tasas_cambio.moneda

),

final as (

    select
        {{ surrogate_key(['pago_id']) }} as pago_key,
        pago_id,
        cast(referencia as {{ dbt.type_string() }}) as referencia,
        numero_documento,
        fecha_key,
        case
            when cliente_id is null then {{ clave_desconocida() }}
            else coalesce(cliente_key_encontrada, cliente_key_inferida)
        end as cliente_key,
        {{ clave_dimension('metodo_pago_codigo', 'metodo_pago_key_encontrada') }} as metodo_pago_key,
        {{ clave_dimension('moneda', 'moneda_key_encontrada') }} as moneda_key,
        {{ clave_dimension('sitio_web_id', 'sitio_web_key_encontrada') }} as sitio_web_key,
        {{ clave_dimension('canal_codigo', 'canal_key_encontrada') }} as canal_key,
        cast(accion as {{ dbt.type_string() }}) as accion,
        es_exitoso,
        es_activo,
        cast(monto as decimal(19, 4)) as monto,
        cast(case when upper(moneda) = 'USD' then 1 else tasa_usd end as decimal(18, 8)) as tasa_usd,
        {{ convertir_a_usd('monto', 'moneda', 'tasa_usd') }} as monto_usd,
        (
            (cliente_id is not null and cliente_key_encontrada is null)
            or {{ es_miembro_inferido('metodo_pago_codigo', 'metodo_pago_key_encontrada') }}
            or {{ es_miembro_inferido('moneda', 'moneda_key_encontrada') }}
            or {{ es_miembro_inferido('sitio_web_id', 'sitio_web_key_encontrada') }}
            or {{ es_miembro_inferido('canal_codigo', 'canal_key_encontrada') }}
            or (upper(moneda) != 'USD' and tasa_usd is null)
        ) as es_provisional,
        registrado_at,
        actualizado_at,
        cargado_at
    from claves

)

select * from final
