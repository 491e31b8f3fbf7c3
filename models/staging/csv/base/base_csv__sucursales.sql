{#-
    Every line of raw_csv.sucursales, typed and populated, with the reason
    it is not staged (_motivo_rechazo, null for a staged line): a malformed
    line or a repeated store code (the first line is kept).
-#}

with

sucursales as (

    select * from {{ source('csv', 'sucursales') }}

),

renombrado as (

    select
        upper({{ try_cast_text('codigo', 'varchar') }}) as sucursal_codigo,
        {{ try_cast_text('nombre', 'varchar') }} as nombre,
        lower({{ try_cast_text('tipo', 'varchar') }}) as tipo,
        {{ try_cast_text('ciudad', 'varchar') }} as ciudad,
        {{ try_cast_text('departamento', 'varchar') }} as departamento,
        -- the file has no country column: every store gets the default country
        cast(null as varchar) as pais,
        cast(_rechazo as varchar) as _rechazo,
        cast(_contenido as varchar) as _contenido,
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from sucursales

),

poblado as (

    select
        {{ populate_generated_id('sucursal_codigo', ['nombre']) }},
        nombre,
        {{ populate_default('tipo') }},
        ciudad,
        departamento,
        {{ populate_default('pais') }},
        _rechazo as _motivo_valor,
        _rechazo,
        _contenido,
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one staged store per code: the first line
final as (

    {{ marcar_rechazos('poblado', ['sucursal_codigo'], ['nombre', 'tipo', 'ciudad', 'departamento']) }}

)

select * from final
