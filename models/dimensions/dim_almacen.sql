{#-
    dim_almacen: one row per store or warehouse of sucursales.csv
    (business key almacen_id = the store code, upper case: 'S01'), with
    its place (and its dim_geografia business key, so POS sales can be
    placed), plus inferred members for store codes that POS lines or
    sales targets use and the file lacks ('AUTO_S99'), and the unknown
    member. The demo Oro schema has no warehouse table (Oro's inventory
    levels carry no warehouse), so Oro warehouses add no rows.
-#}

with

sucursales as (

    select * from {{ ref('stg_csv__sucursales') }}

),

direcciones as (

    select * from {{ ref('int_dim_geografia__direcciones') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

almacenes as (

    select
        cast(sucursales.sucursal_codigo as {{ dbt.type_string() }}) as almacen_id,
        cast(coalesce(sucursales.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(sucursales.tipo, 'N/D') as {{ dbt.type_string() }}) as tipo,
        coalesce(sucursales.tipo = 'tienda', false) as es_tienda,
        cast(coalesce(sucursales.ciudad, 'N/D') as {{ dbt.type_string() }}) as ciudad,
        cast(coalesce(sucursales.departamento, 'N/D') as {{ dbt.type_string() }}) as departamento,
        cast(coalesce(direcciones.region_codigo, 'N/D') as {{ dbt.type_string() }}) as departamento_codigo,
        cast(coalesce(sucursales.pais, 'N/D') as {{ dbt.type_string() }}) as pais,
        cast(coalesce(direcciones.geografia_id, 'N/D') as {{ dbt.type_string() }}) as geografia_id,
        false as es_inferido
    from sucursales
    left join direcciones
        on
            direcciones.origen = 'sucursal'
            and sucursales.sucursal_codigo = direcciones.direccion_id

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as almacen_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as tipo,
        false as es_tienda,
        cast('N/D' as {{ dbt.type_string() }}) as ciudad,
        cast('N/D' as {{ dbt.type_string() }}) as departamento,
        cast('N/D' as {{ dbt.type_string() }}) as departamento_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as pais,
        cast('N/D' as {{ dbt.type_string() }}) as geografia_id,
        true as es_inferido
    from claves_referenciadas
    left join almacenes
        on claves_referenciadas.clave = almacenes.almacen_id
    where
        claves_referenciadas.dimension = 'almacen'
        and almacenes.almacen_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as almacen_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as tipo,
        false as es_tienda,
        cast('N/D' as {{ dbt.type_string() }}) as ciudad,
        cast('N/D' as {{ dbt.type_string() }}) as departamento,
        cast('N/D' as {{ dbt.type_string() }}) as departamento_codigo,
        cast('N/D' as {{ dbt.type_string() }}) as pais,
        cast('N/D' as {{ dbt.type_string() }}) as geografia_id,
        false as es_inferido

),

unidos as (

    select * from almacenes
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['almacen_id']) }} as almacen_key,
        almacen_id,
        nombre,
        tipo,
        es_tienda,
        ciudad,
        departamento,
        departamento_codigo,
        pais,
        geografia_id,
        es_inferido
    from unidos

)

select * from final
