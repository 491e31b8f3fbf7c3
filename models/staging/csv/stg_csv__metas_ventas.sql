with

metas_ventas as (

    select * from {{ source('csv', 'metas_ventas') }}

),

renombrado as (

    select
        -- `mes` is the first day of the month (YYYY-MM-DD); YYYY-MM is accepted too
        cast(
            {{ dbt.date_trunc('month', try_cast_text(
                "case when length(trim(mes)) = 7 then trim(mes) || '-01' else mes end", 'date'
            )) }} as date
        ) as fecha_mes,
        {{ is_invalid_cast(
            "case when length(trim(mes)) = 7 then trim(mes) || '-01' else mes end", 'date'
        ) }} as fecha_mes__invalido,
        lower({{ try_cast_text('canal', 'varchar') }}) as canal,
        -- empty for a team target (the whole channel or store)
        lower({{ try_cast_text('empleado_email', 'varchar') }}) as empleado_email,
        upper({{ try_cast_text('sucursal', 'varchar') }}) as sucursal_codigo,
        {{ try_cast_text('monto_meta', 'decimal(19, 4)') }} as monto_meta,
        {{ is_invalid_cast('monto_meta', 'decimal(19, 4)') }} as monto_meta__invalido,
        upper({{ try_cast_text('moneda', 'varchar') }}) as moneda,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from metas_ventas
    -- malformed lines stay in the raw table with the reason (stg_csv__rechazos)
    where _rechazo is null

),

poblado as (

    select
        fecha_mes,
        fecha_mes__invalido,
        canal,
        empleado_email,
        sucursal_codigo,
        monto_meta,
        monto_meta__invalido,
        {{ populate_default('moneda') }},
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one row per month, channel, employee and store: the latest load, then the last line
final as (

    {{ deduplicate(
        'poblado',
        'fecha_mes, canal, empleado_email, sucursal_codigo',
        '_cargado_at desc nulls last, _source_file desc, _source_line desc'
    ) }}

)

select * from final
