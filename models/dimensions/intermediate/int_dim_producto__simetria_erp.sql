{#-
    int_dim_producto__simetria_erp: Oro products (db, the current state in
    staging) compared with the ERP export productos_erp.csv (csv) by SKU,
    one row per SKU of either side:
      estado_simetria  'ambos' (in both), 'solo_db' (only in Oro),
                       'solo_csv' (only in the ERP)
      difiere_*        on rows in both: name, brand or status differ
                       (compared normalized: case, accents, spaces)
      nombre, marca, marca_id, estado
                       merged with the priority of var prioridad_simetria:
                       'db' (default) keeps Oro's value and falls back to
                       the ERP's; 'csv' the other way round (the brand id
                       comes from the side whose brand is used)
      costo_unitario   always the ERP's (Oro has no cost)
    The ERP brand is a name: marca_id_csv is the Oro brand of that name.
    The status is harmonized to 'activo' / 'inactivo' (Oro: enabled /
    disabled). dim_producto applies the same priority per SCD2 version.
-#}
{%- set prioridad = prioridad_simetria() -%}
{#- the side whose name, brand and status win, and the fallback -#}
{%- set preferido = prioridad -%}
{%- set alterno = 'csv' if prioridad == 'db' else 'db' -%}

with

productos as (

    select * from {{ ref('stg_orocommerce__products') }}

),

productos_erp as (

    select * from {{ ref('stg_csv__productos_erp') }}

),

marcas as (

    select * from {{ ref('stg_orocommerce__brands') }}

),

marcas_por_nombre as (

    select
        {{ texto_normalizado('nombre') }} as nombre_normalizado,
        min(marca_id) as marca_id
    from marcas
    group by {{ texto_normalizado('nombre') }}

),

lado_db as (

    select
        productos.sku,
        productos.producto_id,
        productos.marca_id,
        trim(productos.nombre) as nombre,
        trim(marcas.nombre) as marca,
        case lower(trim(productos.estado))
            when 'enabled' then 'activo'
            when 'disabled' then 'inactivo'
            else lower(trim(productos.estado))
        end as estado
    from productos
    left join marcas
        on productos.marca_id = marcas.marca_id

),

lado_csv as (

    select
        productos_erp.sku,
        marcas_por_nombre.marca_id,
        productos_erp.costo_unitario,
        trim(productos_erp.nombre) as nombre,
        trim(productos_erp.marca) as marca,
        case lower(trim(productos_erp.estado))
            when 'enabled' then 'activo'
            when 'disabled' then 'inactivo'
            else lower(trim(productos_erp.estado))
        end as estado
    from productos_erp
    left join marcas_por_nombre
        on {{ texto_normalizado('productos_erp.marca') }} = marcas_por_nombre.nombre_normalizado

),

comparado as (

    select
        lado_db.producto_id,
        lado_db.nombre as nombre_db,
        lado_csv.nombre as nombre_csv,
        lado_db.marca_id as marca_id_db,
        lado_csv.marca_id as marca_id_csv,
        lado_db.marca as marca_db,
        lado_csv.marca as marca_csv,
        lado_db.estado as estado_db,
        lado_csv.estado as estado_csv,
        lado_csv.costo_unitario,
        coalesce(lado_db.sku, lado_csv.sku) as sku,
        case
            when lado_db.sku is not null and lado_csv.sku is not null then 'ambos'
            when lado_db.sku is not null then 'solo_db'
            else 'solo_csv'
        end as estado_simetria
    from lado_db
    full outer join lado_csv
        on lado_db.sku = lado_csv.sku

),

final as (

    select
        producto_id,
        nombre_db,
        nombre_csv,
        marca_id_db,
        marca_id_csv,
        marca_db,
        marca_csv,
        estado_db,
        estado_csv,
        costo_unitario,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(estado_simetria as {{ dbt.type_string() }}) as estado_simetria,
        coalesce(
            estado_simetria = 'ambos'
            and {{ texto_normalizado('nombre_db') }} != {{ texto_normalizado('nombre_csv') }},
            false
        ) as difiere_nombre,
        coalesce(
            estado_simetria = 'ambos'
            and {{ texto_normalizado('marca_db') }} != {{ texto_normalizado('marca_csv') }},
            false
        ) as difiere_marca,
        coalesce(
            estado_simetria = 'ambos' and estado_db != estado_csv,
            false
        ) as difiere_estado,
        coalesce(nombre_{{ preferido }}, nombre_{{ alterno }}) as nombre,
        coalesce(marca_{{ preferido }}, marca_{{ alterno }}) as marca,
        case
            when marca_{{ preferido }} is not null or marca_id_{{ preferido }} is not null
                then marca_id_{{ preferido }}
            else marca_id_{{ alterno }}
        end as marca_id,
        coalesce(estado_{{ preferido }}, estado_{{ alterno }}) as estado,
        cast('{{ prioridad }}' as {{ dbt.type_string() }}) as prioridad_aplicada
    from comparado

)

select * from final
