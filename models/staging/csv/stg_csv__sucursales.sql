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
        cast(_source_file as varchar) as _source_file,
        cast(_source_line as bigint) as _source_line,
        {{ load_id_to_timestamp('_dlt_load_id') }} as _cargado_at,
        cast(_dlt_load_id as varchar) as _dlt_load_id
    from sucursales
    -- malformed lines stay in the raw table with the reason (stg_csv__rechazos)
    where _rechazo is null

),

poblado as (

    select
        {{ populate_generated_id('sucursal_codigo', ['nombre']) }},
        nombre,
        {{ populate_default('tipo') }},
        ciudad,
        departamento,
        {{ populate_default('pais') }},
        _source_file,
        _source_line,
        _cargado_at,
        _dlt_load_id
    from renombrado

),

-- one row per store code: the latest load, then the last line
final as (

    {{ deduplicate(
        'poblado',
        'sucursal_codigo',
        '_cargado_at desc nulls last, _source_file desc, _source_line desc'
    ) }}

)

select * from final
