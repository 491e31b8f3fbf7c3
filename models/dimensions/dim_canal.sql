{#-
    dim_canal: one row per sales channel of the seed canales_venta
    (business key canal_id = the seed code: web, tienda, televentas, b2b,
    marketplace), with the OroCRM channels mapped in by channel_type
    (int_dim_canal__orocrm: the CRM name and how many CRM channels map to
    it); a CRM channel whose type maps to no seed channel is a channel of
    its own ('orocrm_<id>'). Plus inferred members for channel codes the
    sales targets use that the seed lacks, and the unknown member.
-#}

with

canales_venta as (

    select * from {{ ref('canales_venta') }}

),

canales_crm as (

    select * from {{ ref('int_dim_canal__orocrm') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

crm_por_canal as (

    select
        canal_id,
        min(crm_canal_nombre) as crm_canal_nombre,
        count(*) as cantidad_canales_crm
    from canales_crm
    group by canal_id

),

canales_seed as (

    select
        cast(lower(trim(canales_venta.codigo)) as {{ dbt.type_string() }}) as canal_id,
        cast(canales_venta.nombre as {{ dbt.type_string() }}) as nombre,
        cast(coalesce(canales_venta.descripcion, 'N/D') as {{ dbt.type_string() }}) as descripcion,
        coalesce(canales_venta.es_digital, false) as es_digital,
        cast(coalesce(canales_venta.oro_channel_type, 'N/D') as {{ dbt.type_string() }}) as tipo_canal_oro,
        cast(coalesce(crm_por_canal.crm_canal_nombre, 'N/D') as {{ dbt.type_string() }}) as crm_canal_nombre,
        cast(coalesce(crm_por_canal.cantidad_canales_crm, 0) as integer) as cantidad_canales_crm,
        cast('seed' as {{ dbt.type_string() }}) as origen,
        false as es_inferido
    from canales_venta
    left join crm_por_canal
        on lower(trim(canales_venta.codigo)) = crm_por_canal.canal_id

),

canales_solo_crm as (

    select
        cast(canales_crm.canal_id as {{ dbt.type_string() }}) as canal_id,
        cast(canales_crm.crm_canal_nombre as {{ dbt.type_string() }}) as nombre,
        cast('Canal de OroCRM sin equivalente en canales_venta' as {{ dbt.type_string() }}) as descripcion,
        false as es_digital,
        cast(coalesce(canales_crm.tipo_canal_oro, 'N/D') as {{ dbt.type_string() }}) as tipo_canal_oro,
        cast(canales_crm.crm_canal_nombre as {{ dbt.type_string() }}) as crm_canal_nombre,
        cast(1 as integer) as cantidad_canales_crm,
        cast('orocrm' as {{ dbt.type_string() }}) as origen,
        false as es_inferido
    from canales_crm
    where not canales_crm.es_mapeado

),

canales as (

    select * from canales_seed
    union all
    select * from canales_solo_crm

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as canal_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as descripcion,
        false as es_digital,
        cast('N/D' as {{ dbt.type_string() }}) as tipo_canal_oro,
        cast('N/D' as {{ dbt.type_string() }}) as crm_canal_nombre,
        cast(0 as integer) as cantidad_canales_crm,
        cast('inferido' as {{ dbt.type_string() }}) as origen,
        true as es_inferido
    from claves_referenciadas
    left join canales
        on claves_referenciadas.clave = canales.canal_id
    where
        claves_referenciadas.dimension = 'canal'
        and canales.canal_id is null

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as canal_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as descripcion,
        false as es_digital,
        cast('N/D' as {{ dbt.type_string() }}) as tipo_canal_oro,
        cast('N/D' as {{ dbt.type_string() }}) as crm_canal_nombre,
        cast(0 as integer) as cantidad_canales_crm,
        cast('N/D' as {{ dbt.type_string() }}) as origen,
        false as es_inferido

),

unidos as (

    select * from canales
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['canal_id']) }} as canal_key,
        canal_id,
        nombre,
        descripcion,
        es_digital,
        tipo_canal_oro,
        crm_canal_nombre,
        cantidad_canales_crm,
        origen,
        es_inferido
    from unidos

)

select * from final
