{#-
    dim_fecha: one row per calendar day from var('fecha_inicio') to
    var('fecha_fin') (both inclusive), plus the unknown member (fecha_key -1).
    Holidays come from the seed feriados_el_salvador.
-#}
{%- set fecha_inicio = var('fecha_inicio', '2024-01-01') | string -%}
{%- set fecha_fin = var('fecha_fin', '2027-12-31') | string -%}
{%- for valor in [fecha_inicio, fecha_fin] -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', valor) -%}
        {{ exceptions.raise_compiler_error(
            "dim_fecha: the vars fecha_inicio and fecha_fin must be dates "
            ~ "written YYYY-MM-DD, got '" ~ valor ~ "'"
        ) }}
    {%- endif -%}
{%- endfor -%}

with

feriados as (

    select * from {{ ref('feriados_el_salvador') }}

),

calendario as (

    {{ date_spine(
        "cast('" ~ fecha_inicio ~ "' as date)",
        "cast('" ~ fecha_fin ~ "' as date)"
    ) }}

),

partes_fecha as (

    select
        fecha,
        cast(extract(year from fecha) as integer) as anio,
        cast(extract(quarter from fecha) as integer) as trimestre,
        cast(extract(month from fecha) as integer) as mes,
        cast(extract(day from fecha) as integer) as dia,
        -- ISO 8601: 1 = lunes ... 7 = domingo, on both adapters
        cast(extract(isodow from fecha) as integer) as dia_semana,
        cast(extract(week from fecha) as integer) as semana_iso,
        cast(extract(isoyear from fecha) as integer) as anio_iso
    from calendario

),

dias as (

    select
        cast(
            partes_fecha.anio * 10000
            + partes_fecha.mes * 100
            + partes_fecha.dia
            as integer
        ) as fecha_key,
        partes_fecha.fecha,
        partes_fecha.anio,
        partes_fecha.trimestre,
        partes_fecha.mes,
        cast(
            case partes_fecha.mes
                when 1 then 'enero'
                when 2 then 'febrero'
                when 3 then 'marzo'
                when 4 then 'abril'
                when 5 then 'mayo'
                when 6 then 'junio'
                when 7 then 'julio'
                when 8 then 'agosto'
                when 9 then 'septiembre'
                when 10 then 'octubre'
                when 11 then 'noviembre'
                when 12 then 'diciembre'
            end as {{ dbt.type_string() }}
        ) as nombre_mes,
        partes_fecha.dia,
        partes_fecha.dia_semana,
        cast(
            case partes_fecha.dia_semana
                when 1 then 'lunes'
                when 2 then 'martes'
                when 3 then 'miércoles'
                when 4 then 'jueves'
                when 5 then 'viernes'
                when 6 then 'sábado'
                when 7 then 'domingo'
            end as {{ dbt.type_string() }}
        ) as nombre_dia,
        partes_fecha.semana_iso,
        partes_fecha.anio_iso,
        partes_fecha.dia_semana in (6, 7) as es_fin_de_semana,
        feriados.fecha is not null as es_feriado,
        coalesce(feriados.tipo = 'nacional', false) as es_feriado_nacional,
        cast(feriados.nombre as {{ dbt.type_string() }}) as nombre_feriado,
        cast(
            'FY'
            || cast(partes_fecha.anio as {{ dbt.type_string() }})
            || '-P'
            || lpad(cast(partes_fecha.mes as {{ dbt.type_string() }}), 2, '0')
            as {{ dbt.type_string() }}
        ) as periodo_fiscal,
        cast(
            {{ dbt.date_trunc('month', 'partes_fecha.fecha') }} as date
        ) as inicio_mes
    from partes_fecha
    left join feriados
        on partes_fecha.fecha = feriados.fecha

),

miembro_desconocido as (

    select
        cast(-1 as integer) as fecha_key,
        cast(null as date) as fecha,
        cast(null as integer) as anio,
        cast(null as integer) as trimestre,
        cast(null as integer) as mes,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_mes,
        cast(null as integer) as dia,
        cast(null as integer) as dia_semana,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_dia,
        cast(null as integer) as semana_iso,
        cast(null as integer) as anio_iso,
        false as es_fin_de_semana,
        false as es_feriado,
        false as es_feriado_nacional,
        cast('N/D' as {{ dbt.type_string() }}) as nombre_feriado,
        cast('N/D' as {{ dbt.type_string() }}) as periodo_fiscal,
        cast(null as date) as inicio_mes

),

final as (

    select * from dias
    union all
    select * from miembro_desconocido

)

select * from final
