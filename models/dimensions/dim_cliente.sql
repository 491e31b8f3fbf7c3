{#-
    dim_cliente: SCD2 customer dimension.
      - Oro customers (companies and people): one row per version of the
        snapshot snap_clientes. Business key cliente_id = oro_customer.id as
        text. valido_desde: the snapshot's dbt_valid_from, except for the
        first version, valid from 1900-01-01 so facts older than the first
        snapshot (a POS line quoting the customer before Oro created it)
        find it (macro inicio_version_scd2: the facts join on these very
        ranges); valido_hasta: the next version's start, 9999-12-31 for the
        current version (never null); es_actual on the current version.
      - POS-only customers: the store customer codes of the POS lines that
        are not Oro customers ('T000076'), business key = the code, one
        version valid 1900-01-01 .. 9999-12-31. A POS code 'C000123' is Oro
        customer 123 (staging gives it as cliente_id): the facts use
        coalesce(cliente_id, cliente_codigo) as the key of a POS line.
      - inferred members ('AUTO_<id>') for Oro customer ids that orders,
        POS lines or CRM customer associations carry and the snapshot has
        never seen, and the unknown member ('N/D').
    cliente_key = surrogate_key([cliente_id, valido_desde]); the unknown
    member's key is surrogate_key(['N/D']). Point-in-time join:
    fecha >= valido_desde and fecha < valido_hasta.
-#}

with

snap_clientes as (

    select * from {{ ref('snap_clientes') }}

),

grupos_cliente as (

    select * from {{ ref('stg_orocommerce__customer_groups') }}

),

transacciones_tienda as (

    select * from {{ ref('stg_csv__transacciones_tienda') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

clientes_en_tienda as (

    select distinct cliente_id
    from transacciones_tienda
    where cliente_id is not null

),

versiones_numeradas as (

    select
        snap_clientes.*,
        row_number() over (
            partition by snap_clientes.cliente_id
            order by snap_clientes.dbt_valid_from
        ) as numero_version
    from snap_clientes

),

versiones as (

    select
        cast(versiones_numeradas.cliente_id as {{ dbt.type_string() }}) as cliente_id,
        cast(coalesce(versiones_numeradas.nombre, 'N/D') as {{ dbt.type_string() }}) as nombre,
        -- the POS code of an Oro customer: 'C' + the id, zero-padded to 6 digits
        cast(
            'C' || case
                when length(cast(versiones_numeradas.cliente_id as {{ dbt.type_string() }})) < 6
                    then lpad(cast(versiones_numeradas.cliente_id as {{ dbt.type_string() }}), 6, '0')
                else cast(versiones_numeradas.cliente_id as {{ dbt.type_string() }})
            end as {{ dbt.type_string() }}
        ) as codigo_tienda,
        cast(coalesce(
            cast(versiones_numeradas.grupo_cliente_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as grupo_cliente_id,
        cast(coalesce(grupos_cliente.nombre, 'N/D') as {{ dbt.type_string() }}) as grupo_cliente,
        cast(coalesce(
            cast(versiones_numeradas.cliente_padre_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as cliente_padre_id,
        cast(coalesce(
            cast(versiones_numeradas.usuario_propietario_id as {{ dbt.type_string() }}), 'N/D'
        ) as {{ dbt.type_string() }}) as empleado_id,
        cast(
            coalesce(versiones_numeradas.calificacion_interna, 'N/D') as {{ dbt.type_string() }}
        ) as calificacion_interna,
        cast('oro' as {{ dbt.type_string() }}) as origen,
        clientes_en_tienda.cliente_id is not null as es_cliente_tienda,
        cast(versiones_numeradas.numero_version as integer) as numero_version,
        cast({{ inicio_version_scd2(
            'versiones_numeradas.numero_version', 'versiones_numeradas.dbt_valid_from'
        ) }} as {{ dbt.type_timestamp() }}) as valido_desde,
        cast(
            coalesce(versiones_numeradas.dbt_valid_to, {{ fin_vigencia() }})
            as {{ dbt.type_timestamp() }}
        ) as valido_hasta,
        versiones_numeradas.dbt_valid_to is null as es_actual,
        false as es_inferido
    from versiones_numeradas
    left join grupos_cliente
        on versiones_numeradas.grupo_cliente_id = grupos_cliente.grupo_cliente_id
    left join clientes_en_tienda
        on versiones_numeradas.cliente_id = clientes_en_tienda.cliente_id

),

clientes_solo_tienda as (

    select distinct
        cast(cliente_codigo as {{ dbt.type_string() }}) as cliente_id,
        cast('Cliente de tienda ' || cliente_codigo as {{ dbt.type_string() }}) as nombre,
        cast(cliente_codigo as {{ dbt.type_string() }}) as codigo_tienda,
        {{ textos_nd(['grupo_cliente_id', 'grupo_cliente', 'cliente_padre_id', 'empleado_id',
                      'calificacion_interna']) }},
        cast('tienda' as {{ dbt.type_string() }}) as origen,
        true as es_cliente_tienda,
        {{ version_unica_scd2() }}
    from transacciones_tienda
    where
        cliente_codigo is not null
        and cliente_id is null

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as cliente_id,
        {{ textos_nd(['nombre', 'codigo_tienda', 'grupo_cliente_id', 'grupo_cliente', 'cliente_padre_id',
                      'empleado_id', 'calificacion_interna']) }},
        cast('inferido' as {{ dbt.type_string() }}) as origen,
        false as es_cliente_tienda,
        {{ version_unica_scd2(es_inferido=true) }}
    from claves_referenciadas
    left join versiones
        on claves_referenciadas.clave = versiones.cliente_id
    where
        claves_referenciadas.dimension = 'cliente'
        and versiones.cliente_id is null

),

miembros as (

    select * from versiones
    union all
    select * from clientes_solo_tienda
    union all
    select * from inferidos

),

miembro_desconocido as (

    select
        {{ textos_nd(['cliente_id', 'nombre', 'codigo_tienda', 'grupo_cliente_id', 'grupo_cliente',
                      'cliente_padre_id', 'empleado_id', 'calificacion_interna', 'origen']) }},
        false as es_cliente_tienda,
        {{ version_unica_scd2() }}

),

final as (

    {{ miembros_con_clave_scd2('cliente_key', 'cliente_id', 'miembros', 'miembro_desconocido') }}

)

select * from final
