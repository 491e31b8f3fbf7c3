{#-
    fact_metas_ventas: one row per monthly sales target (month x channel x
    employee x store) of metas_ventas.csv, from int_fact_metas_ventas;
    targets without a valid month, channel or amount are counted in
    int_fact_rechazos instead. Team targets (es_meta_equipo: no employee)
    are the channel's or store's total, the employee targets a breakdown of
    it: do not add both. USD at the rate of the month's first day.
    Incremental (delete+insert on meta_key), but every run reprocesses
    every target: the file has no update time and the loader reloads it
    whole on every run (a few hundred rows a year), so a load-time cursor
    would only restamp unchanged rows. A target removed from the file stays
    until --full-refresh.
-#}
{{ config(
    unique_key='meta_key',
    on_schema_change='fail'
) }}

with

metas as (

    select * from {{ ref('int_fact_metas_ventas') }}

),

tasas_cambio as (

    select * from {{ ref('int_fact_tasas_cambio_diarias') }}

),

dim_canal as (

    select * from {{ ref('dim_canal') }}

),

dim_empleado as (

    select * from {{ ref('dim_empleado') }}

),

dim_almacen as (

    select * from {{ ref('dim_almacen') }}

),

dim_moneda as (

    select * from {{ ref('dim_moneda') }}

),

metas_a_cargar as (

    select *
    from metas
    where motivo_rechazo is null

),

claves as (

    select
        metas_a_cargar.*,
        -- an employee unknown to Oro is named by email: inferred member AUTO_<email>
        coalesce(metas_a_cargar.empleado_id, metas_a_cargar.empleado_email) as empleado_clave,
        {{ fecha_a_clave('metas_a_cargar.fecha_mes') }} as fecha_key,
        dim_canal.canal_key as canal_key_encontrada,
        dim_empleado.empleado_key as empleado_key_encontrada,
        dim_almacen.almacen_key as almacen_key_encontrada,
        dim_moneda.moneda_key as moneda_key_encontrada,
        tasas_cambio.tasa_usd
    from metas_a_cargar
    left join dim_canal
        on metas_a_cargar.canal_codigo = dim_canal.canal_id
    left join dim_empleado
        on metas_a_cargar.empleado_id = dim_empleado.empleado_id
    left join dim_almacen
        on metas_a_cargar.almacen_codigo = dim_almacen.almacen_id
    left join dim_moneda
        on metas_a_cargar.moneda = dim_moneda.moneda_id
    left join tasas_cambio
        on
            metas_a_cargar.fecha_mes = tasas_cambio.fecha
            and metas_a_cargar.moneda = tasas_cambio.moneda

),

final as (

    select
        {{ surrogate_key(['meta_id']) }} as meta_key,
        meta_id,
        fecha_key,
        {{ clave_dimension('canal_codigo', 'canal_key_encontrada') }} as canal_key,
        {{ clave_dimension('empleado_clave', 'empleado_key_encontrada') }} as empleado_key,
        {{ clave_dimension('almacen_codigo', 'almacen_key_encontrada') }} as almacen_key,
        {{ clave_dimension('moneda', 'moneda_key_encontrada') }} as moneda_key,
        es_meta_equipo,
        cast(monto_meta as decimal(19, 4)) as monto_meta,
        cast(case when upper(moneda) = 'USD' then 1 else tasa_usd end as decimal(18, 8)) as tasa_usd,
        {{ convertir_a_usd('monto_meta', 'moneda', 'tasa_usd') }} as monto_meta_usd,
        (
            {{ es_miembro_inferido('canal_codigo', 'canal_key_encontrada') }}
            or {{ es_miembro_inferido('empleado_clave', 'empleado_key_encontrada') }}
            or {{ es_miembro_inferido('almacen_codigo', 'almacen_key_encontrada') }}
            or {{ es_miembro_inferido('moneda', 'moneda_key_encontrada') }}
            or (upper(moneda) != 'USD' and tasa_usd is null)
        ) as es_provisional
    from claves

)

select * from final
