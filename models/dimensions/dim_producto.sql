{#-
    dim_producto: SCD2 product dimension, Oro products reconciled with the
    ERP export productos_erp.csv (int_dim_producto__simetria_erp).
      - Oro products: one row per version of the snapshot snap_productos.
        Business key producto_id = oro_product.id as text. Validity as in
        dim_cliente: the first version is valid from 1900-01-01, later ones
        from dbt_valid_from (macro inicio_version_scd2); the current
        version ends 9999-12-31 (never null).
      - ERP-only products (estado_simetria 'solo_csv'): business key = the
        SKU, one version valid 1900-01-01 .. 9999-12-31.
      - inferred members: 'AUTO_<id>' for product ids that order lines or
        stock levels carry and the snapshot has never seen, unless every
        such reference is an order line whose SKU a known member carries
        (one SKU, one member: fact_ventas maps those lines by SKU);
        'AUTO_<sku>' for POS SKUs that neither Oro nor the ERP know.
        Unknown member 'N/D'.
    Name, brand and status of a product in both systems follow var
    prioridad_simetria: 'db' (default) keeps Oro's and falls back to the
    ERP's, 'csv' the opposite; costo_unitario always comes from the ERP.
    The facts map a POS SKU to the row with that sku (Oro version valid on
    the day, or the ERP-only row), else to 'AUTO_' || sku.
    producto_key = surrogate_key([producto_id, valido_desde]); the unknown
    member's key is surrogate_key(['N/D']).
-#}
{%- set prioridad = prioridad_simetria() -%}
{#- the side (and its CTE) whose name, brand and status win, and the fallback -#}
{%- set preferido = prioridad -%}
{%- set alterno = 'csv' if prioridad == 'db' else 'db' -%}
{%- set lados = {'db': 'versiones_db', 'csv': 'simetria_erp'} -%}
{%- set tabla_preferida = lados[preferido] -%}
{%- set tabla_alterna = lados[alterno] -%}
{#- the attributes of a member no source describes (inferred and unknown members) -#}
{%- set sin_atributos -%}
        false as es_destacado,
        false as es_novedad,
        {{ textos_nd(['categoria_id', 'categoria', 'unidad_medida_id']) }},
        cast(null as integer) as precision_unidad,
        cast(null as decimal(19, 4)) as costo_unitario
{%- endset -%}

with

snap_productos as (

    select * from {{ ref('snap_productos') }}

),

simetria_erp as (

    select * from {{ ref('int_dim_producto__simetria_erp') }}

),

marcas as (

    select * from {{ ref('stg_orocommerce__brands') }}

),

categorias as (

    select * from {{ ref('stg_orocommerce__categories') }}

),

precisiones_unidad as (

    select * from {{ ref('stg_orocommerce__product_unit_precisions') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

lineas_orden as (

    select * from {{ ref('stg_orocommerce__order_line_items') }}

),

niveles_inventario as (

    select * from {{ ref('stg_orocommerce__inventory_levels') }}

),

versiones_numeradas as (

    select
        snap_productos.*,
        row_number() over (
            partition by snap_productos.producto_id
            order by snap_productos.dbt_valid_from
        ) as numero_version
    from snap_productos

),

versiones_db as (

    select
        versiones_numeradas.producto_id,
        versiones_numeradas.sku,
        trim(versiones_numeradas.nombre) as nombre_db,
        versiones_numeradas.marca_id as marca_id_db,
        trim(marcas.nombre) as marca_db,
        case lower(trim(versiones_numeradas.estado))
            when 'enabled' then 'activo'
            when 'disabled' then 'inactivo'
            else lower(trim(versiones_numeradas.estado))
        end as estado_db,
        versiones_numeradas.tipo,
        versiones_numeradas.estado_inventario,
        versiones_numeradas.es_destacado,
        versiones_numeradas.es_novedad,
        versiones_numeradas.categoria_id,
        categorias.nombre as categoria,
        precisiones_unidad.unidad_codigo,
        precisiones_unidad.decimales as precision_unidad,
        versiones_numeradas.numero_version,
        {{ inicio_version_scd2(
            'versiones_numeradas.numero_version', 'versiones_numeradas.dbt_valid_from'
        ) }} as valido_desde,
        versiones_numeradas.dbt_valid_to
    from versiones_numeradas
    left join marcas
        on versiones_numeradas.marca_id = marcas.marca_id
    left join categorias
        on versiones_numeradas.categoria_id = categorias.categoria_id
    left join precisiones_unidad
        on versiones_numeradas.precision_unidad_principal_id = precisiones_unidad.precision_unidad_id

),

versiones as (

    select
        cast(versiones_db.producto_id as {{ dbt.type_string() }}) as producto_id,
        cast(coalesce(versiones_db.sku, 'N/D') as {{ dbt.type_string() }}) as sku,
        cast(
            coalesce(
                {{ tabla_preferida }}.nombre_{{ preferido }},
                {{ tabla_alterna }}.nombre_{{ alterno }},
                'N/D'
            ) as {{ dbt.type_string() }}
        ) as nombre,
        cast(coalesce(
            cast(
                case
                    when
                        {{ tabla_preferida }}.marca_{{ preferido }} is not null
                        or {{ tabla_preferida }}.marca_id_{{ preferido }} is not null
                        then {{ tabla_preferida }}.marca_id_{{ preferido }}
                    else {{ tabla_alterna }}.marca_id_{{ alterno }}
                end as {{ dbt.type_string() }}
            ),
            'N/D'
        ) as {{ dbt.type_string() }}) as marca_id,
        cast(
            coalesce(
                {{ tabla_preferida }}.marca_{{ preferido }},
                {{ tabla_alterna }}.marca_{{ alterno }},
                'N/D'
            ) as {{ dbt.type_string() }}
        ) as marca,
        cast(
            coalesce(
                {{ tabla_preferida }}.estado_{{ preferido }},
                {{ tabla_alterna }}.estado_{{ alterno }},
                'N/D'
            ) as {{ dbt.type_string() }}
        ) as estado,
        cast(coalesce(versiones_db.tipo, 'N/D') as {{ dbt.type_string() }}) as tipo,
        cast(coalesce(versiones_db.estado_inventario, 'N/D') as {{ dbt.type_string() }}) as estado_inventario,
        coalesce(versiones_db.es_destacado, false) as es_destacado,
        coalesce(versiones_db.es_novedad, false) as es_novedad,
        cast(coalesce(
            cast(versiones_db.categoria_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as categoria_id,
        cast(coalesce(versiones_db.categoria, 'N/D') as {{ dbt.type_string() }}) as categoria,
        cast(coalesce(versiones_db.unidad_codigo, 'N/D') as {{ dbt.type_string() }}) as unidad_medida_id,
        cast(versiones_db.precision_unidad as integer) as precision_unidad,
        cast(simetria_erp.costo_unitario as decimal(19, 4)) as costo_unitario,
        cast(coalesce(simetria_erp.estado_simetria, 'solo_db') as {{ dbt.type_string() }}) as estado_simetria,
        coalesce(
            simetria_erp.difiere_nombre or simetria_erp.difiere_marca or simetria_erp.difiere_estado,
            false
        ) as tiene_diferencias_erp,
        cast(versiones_db.numero_version as integer) as numero_version,
        cast(versiones_db.valido_desde as {{ dbt.type_timestamp() }}) as valido_desde,
        cast(coalesce(versiones_db.dbt_valid_to, {{ fin_vigencia() }}) as {{ dbt.type_timestamp() }}) as valido_hasta,
        versiones_db.dbt_valid_to is null as es_actual,
        false as es_inferido
    from versiones_db
    left join simetria_erp
        on versiones_db.producto_id = simetria_erp.producto_id

),

solo_erp as (

    select
        cast(sku as {{ dbt.type_string() }}) as producto_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(coalesce(nombre_csv, 'N/D') as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(cast(marca_id_csv as {{ dbt.type_string() }}), 'N/D') as {{ dbt.type_string() }}) as marca_id,
        cast(coalesce(marca_csv, 'N/D') as {{ dbt.type_string() }}) as marca,
        cast(coalesce(estado_csv, 'N/D') as {{ dbt.type_string() }}) as estado,
        {{ textos_nd(['tipo', 'estado_inventario']) }},
        false as es_destacado,
        false as es_novedad,
        {{ textos_nd(['categoria_id', 'categoria', 'unidad_medida_id']) }},
        cast(null as integer) as precision_unidad,
        cast(costo_unitario as decimal(19, 4)) as costo_unitario,
        cast(estado_simetria as {{ dbt.type_string() }}) as estado_simetria,
        false as tiene_diferencias_erp,
        {{ version_unica_scd2() }}
    from simetria_erp
    where estado_simetria = 'solo_csv'

),

conocidos as (

    select * from versiones
    union all
    select * from solo_erp

),

skus_conocidos as (

    select distinct sku
    from conocidos
    where sku != 'N/D'

),

-- One SKU, one member: an Oro order line of a product id Oro no longer has
-- (deleted) whose SKU a known member carries (the ERP-only row of a product
-- stores still sell) takes that member in fact_ventas, by SKU. An inferred
-- member AUTO_<id> is made only for the ids some reference can resolve by
-- id alone: a stock level, or an order line without a known SKU.
ids_sin_sku_conocido as (

    select cast(niveles_inventario.producto_id as {{ dbt.type_string() }}) as clave
    from niveles_inventario

    union

    select cast(lineas_orden.producto_id as {{ dbt.type_string() }}) as clave
    from lineas_orden
    left join skus_conocidos
        on lineas_orden.sku = skus_conocidos.sku
    where skus_conocidos.sku is null

),

claves_inferidas as (

    select claves_referenciadas.clave
    from claves_referenciadas
    inner join ids_sin_sku_conocido
        on claves_referenciadas.clave = ids_sin_sku_conocido.clave
    left join conocidos
        on claves_referenciadas.clave = conocidos.producto_id
    where
        claves_referenciadas.dimension = 'producto'
        and claves_referenciadas.tipo_clave = 'id'
        and conocidos.producto_id is null

    union all

    select claves_referenciadas.clave
    from claves_referenciadas
    left join conocidos
        on claves_referenciadas.clave = conocidos.sku
    where
        claves_referenciadas.dimension = 'producto'
        and claves_referenciadas.tipo_clave = 'sku'
        and conocidos.sku is null

),

inferidos as (

    select distinct
        cast({{ generated_id('clave') }} as {{ dbt.type_string() }}) as producto_id,
        {{ textos_nd(['sku', 'nombre', 'marca_id', 'marca', 'estado', 'tipo', 'estado_inventario']) }},
        {{ sin_atributos }},
        cast('inferido' as {{ dbt.type_string() }}) as estado_simetria,
        false as tiene_diferencias_erp,
        {{ version_unica_scd2(es_inferido=true) }}
    from claves_inferidas

),

miembros as (

    select * from conocidos
    union all
    select * from inferidos

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as producto_id,
        {{ textos_nd(['sku', 'nombre', 'marca_id', 'marca', 'estado', 'tipo', 'estado_inventario']) }},
        {{ sin_atributos }},
        cast('N/D' as {{ dbt.type_string() }}) as estado_simetria,
        false as tiene_diferencias_erp,
        {{ version_unica_scd2() }}

),

final as (

    {{ miembros_con_clave_scd2('producto_key', 'producto_id', 'miembros', 'miembro_desconocido') }}

)

select * from final
