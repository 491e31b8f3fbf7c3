{#-
    Monthly sales targets (metas_ventas.csv) prepared for fact_metas_ventas:
    one row per month, channel, employee and store. The employee is named
    by email: it is resolved to the Oro user id (dim_empleado's business
    key); an email unknown to Oro keeps the email, which the fact maps to
    the inferred member. Team targets (no employee) and targets outside the
    stores (no store) have null keys: the unknown member. Targets without a
    valid month, channel or amount are rejected (motivo_rechazo).
-#}

with

metas_ventas as (

    select * from {{ ref('stg_csv__metas_ventas') }}

),

usuarios as (

    select * from {{ ref('stg_orocommerce__users') }}

),

usuario_por_email as (

    select
        lower(trim(email)) as email,
        min(usuario_id) as usuario_id
    from usuarios
    where email is not null
    group by lower(trim(email))

),

final as (

    select
        {{ dbt.concat([
            "coalesce(cast(metas_ventas.fecha_mes as " ~ dbt.type_string() ~ "), '')",
            "'|'", "coalesce(metas_ventas.canal, '')",
            "'|'", "coalesce(metas_ventas.empleado_email, '')",
            "'|'", "coalesce(metas_ventas.sucursal_codigo, '')"
        ]) }} as meta_id,
        metas_ventas.fecha_mes,
        metas_ventas.canal as canal_codigo,
        cast(usuario_por_email.usuario_id as {{ dbt.type_string() }}) as empleado_id,
        metas_ventas.empleado_email,
        metas_ventas.sucursal_codigo as almacen_codigo,
        metas_ventas.moneda,
        metas_ventas.monto_meta,
        metas_ventas.empleado_email is null as es_meta_equipo,
        metas_ventas._source_file,
        metas_ventas._source_line,
        metas_ventas._cargado_at as actualizado_at,
        case
            when metas_ventas.fecha_mes is null then 'mes_invalido'
            when metas_ventas.canal is null then 'canal_nulo'
            when metas_ventas.monto_meta is null then 'monto_invalido'
        end as motivo_rechazo
    from metas_ventas
    left join usuario_por_email
        on metas_ventas.empleado_email = usuario_por_email.email

)

select * from final
