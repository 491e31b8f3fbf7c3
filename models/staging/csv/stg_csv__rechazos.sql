{#-
    Every CSV line that is not staged, with the reason, from every CSV raw
    table (through its base_csv__<table> model, which keeps every raw line):
      malformada  the loader could not split it (wrong number of fields,
                  bad encoding, empty line): its text is in `contenido`;
      valor       a value breaks a rule of its staging model (a date that
                  is not a calendar day, a negative price, a rate <= 0...);
      duplicado   its key repeats an earlier line (by file and line): the
                  same data (`duplicado`) or other data (`duplicado con
                  valores distintos`); `linea_conservada` is the kept line.
    So for every raw table: staged lines + rejected lines = raw lines
    (tests/singular/reconciliacion_csv_lineas.sql). The one staging model
    over several tables: a union, no joins.
-#}
{%- set tablas = [
    'estados_orden',
    'transacciones_tienda',
    'metas_ventas',
    'productos_erp',
    'sucursales',
    'tipos_cambio',
] -%}

with

estados_orden as (

    select * from {{ ref('base_csv__estados_orden') }}

),

transacciones_tienda as (

    select * from {{ ref('base_csv__transacciones_tienda') }}

),

metas_ventas as (

    select * from {{ ref('base_csv__metas_ventas') }}

),

productos_erp as (

    select * from {{ ref('base_csv__productos_erp') }}

),

sucursales as (

    select * from {{ ref('base_csv__sucursales') }}

),

tipos_cambio as (

    select * from {{ ref('base_csv__tipos_cambio') }}

),

rechazos as (

    {% for tabla in tablas -%}
        select
            cast('{{ tabla }}' as varchar) as tabla_origen,
            _source_file,
            _source_line,
            cast(_tipo_rechazo as varchar) as tipo_rechazo,
            cast(_motivo_rechazo as varchar) as motivo,
            _contenido as contenido,
            case when _tipo_rechazo = 'duplicado' then _linea_conservada end as linea_conservada,
            _cargado_at,
            _dlt_load_id
        from {{ tabla }}
        where _motivo_rechazo is not null
        {% if not loop.last %}
            union all
        {% endif %}
    {%- endfor %}

)

select * from rechazos
