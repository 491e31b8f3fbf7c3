{#-
    Every line of every CSV raw table is accounted for: raw lines = staged
    lines (stg_csv__<table>) + rejected lines (stg_csv__rechazos: malformed
    or bad values) + repeated lines (stg_csv__rechazos: duplicates). A
    staging rule that drops a line without recording it, or records a line
    it also stages, makes the sides differ. Fails with one row per table
    whose counts differ.
-#}
{{ config(tags=['reconciliacion']) }}
{%- set tablas = [
    'estados_orden',
    'transacciones_tienda',
    'metas_ventas',
    'productos_erp',
    'sucursales',
    'tipos_cambio',
] %}

with

rechazos as (

    select * from {{ ref('stg_csv__rechazos') }}

),

conteos as (

    {% for tabla in tablas -%}
        select
            '{{ tabla }}' as tabla_origen,
            (select count(*) from {{ source('csv', tabla) }}) as filas_crudas,
            (select count(*) from {{ ref('stg_csv__' ~ tabla) }}) as filas_buenas,
            (
                select count(*) from rechazos
                where tabla_origen = '{{ tabla }}' and tipo_rechazo in ('malformada', 'valor')
            ) as filas_rechazadas,
            (
                select count(*) from rechazos
                where tabla_origen = '{{ tabla }}' and tipo_rechazo = 'duplicado'
            ) as filas_duplicadas
        {% if not loop.last %}
            union all
        {% endif %}
    {%- endfor %}

)

select *
from conteos
where filas_crudas != filas_buenas + filas_rechazadas + filas_duplicadas
