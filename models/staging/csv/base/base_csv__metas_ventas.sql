{#-
    Every line of raw_csv.metas_ventas, typed and populated, with the reason
    it is not staged (_motivo_rechazo, null for a staged line): a malformed
    line, a value rule (month, channel, amount; a negative amount), or a
    repeated month, channel, employee and store (the first line is kept).
-#}
{%- set mes = "case when length(trim(mes)) = 7 then trim(mes) || '-01' else mes end" -%}

with

metas_ventas as (

    select * from {{ source('csv', 'metas_ventas') }}

),

renombrado as (

    select
        -- `mes` is the first day of the month (YYYY-MM-DD); YYYY-MM is accepted too
        cast({{ dbt.date_trunc('month', try_cast_text(mes, 'date')) }} as date) as fecha_mes,
        {{ is_invalid_cast(mes, 'date') }} as fecha_mes__invalido,
        lower({{ try_cast_text('canal', 'varchar') }}) as canal,
        -- empty for a team target (the whole channel or store)
        lower({{ try_cast_text('empleado_email', 'varchar') }}) as empleado_email,
        upper({{ try_cast_text('sucursal', 'varchar') }}) as sucursal_codigo,
        {{ try_cast_text('monto_meta', 'decimal(19, 4)') }} as monto_meta,
        {{ is_invalid_cast('monto_meta', 'decimal(19, 4)') }} as monto_meta__invalido,
        upper({{ try_cast_text('moneda', 'varchar') }}) as moneda,
        coalesce(
            {{ motivo_conversion(mes, 'date', 'mes inválido', 'sin mes') }},
            {{ motivo_conversion('canal', 'varchar', 'canal inválido', 'sin canal') }},
            {{ motivo_conversion('monto_meta', 'decimal(19, 4)', 'monto_meta inválido', 'sin monto_meta') }}
        ) as _motivo_conversion,
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from metas_ventas

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
        case
            when _rechazo is not null then _rechazo
            when _motivo_conversion is not null then _motivo_conversion
            when monto_meta < 0 then 'monto_meta negativo'
        end as _motivo_valor,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one staged target per month, channel, employee and store: the first line
final as (

    {{ marcar_rechazos(
        'poblado',
        ['fecha_mes', 'canal', 'empleado_email', 'sucursal_codigo'],
        ['monto_meta', 'moneda']
    ) }}

)

select * from final
