{#-
    Every line of raw_csv.tipos_cambio, typed, with the reason it is not
    staged (_motivo_rechazo, null for a staged line): a malformed line, a
    value rule (date, currency, rate; a rate <= 0), or a repeated day and
    currency (the first line is kept).
-#}

with

tipos_cambio as (

    select * from {{ source('csv', 'tipos_cambio') }}

),

renombrado as (

    select
        {{ try_cast_text('fecha', 'date') }} as fecha,
        {{ is_invalid_cast('fecha', 'date') }} as fecha__invalido,
        -- no default currency here: a rate of an unknown currency must not become a USD rate
        upper({{ try_cast_text('moneda', 'varchar') }}) as moneda,
        {{ try_cast_text('tasa_usd', 'decimal(18, 8)') }} as tasa_usd,
        {{ is_invalid_cast('tasa_usd', 'decimal(18, 8)') }} as tasa_usd__invalido,
        coalesce(
            {{ motivo_conversion('fecha', 'date', 'fecha inválida', 'sin fecha') }},
            {{ motivo_conversion('moneda', 'varchar', 'moneda inválida', 'sin moneda') }},
            {{ motivo_conversion('tasa_usd', 'decimal(18, 8)', 'tasa_usd inválida', 'sin tasa_usd') }}
        ) as _motivo_conversion,
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from tipos_cambio

),

validado as (

    select
        fecha,
        fecha__invalido,
        moneda,
        tasa_usd,
        tasa_usd__invalido,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id,
        case
            when _rechazo is not null then _rechazo
            when _motivo_conversion is not null then _motivo_conversion
            when tasa_usd <= 0 then 'tasa_usd <= 0'
        end as _motivo_valor
    from renombrado

),

-- one staged rate per day and currency: the first line
final as (

    {{ marcar_rechazos('validado', ['fecha', 'moneda'], ['tasa_usd']) }}

)

select * from final
