{#-
    dim_promocion: Oro promotions and their coupons.
      - one row per promotion: business key promocion_id = oro_promotion.id
        as text ('4'); its name is the name of its rule (oro_rule), with the
        discount configuration (applies to order / line_item / shipping;
        percent or amount and its value, read from the serialized options);
      - one row per coupon: business key clave_promocion(promotion, coupon)
        = '<promotion id>|<coupon id>' ('4|2'), with the promotion's
        attributes plus the coupon code and validity;
      - the member 'SIN_PROMOCION' for sales lines without any promotion;
      - inferred members for promotion (or promotion|coupon) keys that
        applied promotions carry and Oro lacks ('AUTO_4|99'), and the
        unknown member 'N/D'.
-#}
{#- the attributes of a member no promotion describes (no promotion, inferred and unknown members) -#}
{%- set sin_datos -%}
        false as es_activa,
        false as usa_cupones,
        {{ textos_nd(['aplica_a', 'forma_descuento']) }},
        cast(null as decimal(19, 4)) as valor_descuento,
        {{ textos_nd(['moneda_descuento']) }},
        cast(null as {{ dbt.type_timestamp() }}) as vigente_desde_at,
        cast(null as {{ dbt.type_timestamp() }}) as vigente_hasta_at,
        false as es_cupon
{%- endset %}

with

promociones as (

    select * from {{ ref('stg_orocommerce__promotions') }}

),

reglas as (

    select * from {{ ref('stg_orocommerce__rules') }}

),

configuraciones_descuento as (

    select * from {{ ref('stg_orocommerce__promotion_discount_configs') }}

),

cupones as (

    select * from {{ ref('stg_orocommerce__promotion_coupons') }}

),

claves_referenciadas as (

    select * from {{ ref('int_dim_claves_referenciadas') }}

),

descuentos as (

    select
        configuracion_descuento_id,
        tipo,
        {{ extraer_regex('opciones', '"discount_type"(?:;s:[0-9]+:|:)"([a-z_]+)"') }} as forma_descuento,
        {{ extraer_regex('opciones', '"discount_value"(?:;[di]:|:)"?([0-9]+(?:\.[0-9]+)?)') }} as valor_descuento,
        {{ extraer_regex('opciones', '"discount_currency"(?:;s:[0-9]+:|:)"([A-Za-z]{3})"') }} as moneda_descuento
    from configuraciones_descuento

),

promociones_descritas as (

    select
        promociones.promocion_id,
        cast(
            coalesce(reglas.nombre, 'Promoción ' || cast(promociones.promocion_id as {{ dbt.type_string() }}))
            as {{ dbt.type_string() }}
        ) as nombre,
        coalesce(reglas.es_activa, false) as es_activa,
        coalesce(promociones.tiene_cupones, false) as usa_cupones,
        cast(coalesce(descuentos.tipo, 'N/D') as {{ dbt.type_string() }}) as aplica_a,
        cast(coalesce(descuentos.forma_descuento, 'N/D') as {{ dbt.type_string() }}) as forma_descuento,
        cast(descuentos.valor_descuento as decimal(19, 4)) as valor_descuento,
        cast(coalesce(upper(descuentos.moneda_descuento), 'N/D') as {{ dbt.type_string() }}) as moneda_descuento
    from promociones
    left join reglas
        on promociones.regla_id = reglas.regla_id
    left join descuentos
        on promociones.configuracion_descuento_id = descuentos.configuracion_descuento_id

),

filas_promocion as (

    select
        cast({{ clave_promocion('promocion_id', 'null') }} as {{ dbt.type_string() }}) as promocion_id,
        cast(promocion_id as {{ dbt.type_string() }}) as promocion_oro_id,
        cast('N/D' as {{ dbt.type_string() }}) as cupon_id,
        cast('N/D' as {{ dbt.type_string() }}) as codigo_cupon,
        nombre,
        es_activa,
        usa_cupones,
        aplica_a,
        forma_descuento,
        valor_descuento,
        moneda_descuento,
        cast(null as {{ dbt.type_timestamp() }}) as vigente_desde_at,
        cast(null as {{ dbt.type_timestamp() }}) as vigente_hasta_at,
        false as es_cupon,
        false as es_inferido
    from promociones_descritas

),

filas_cupon as (

    select
        cast(
            {{ clave_promocion('cupones.promocion_id', 'cupones.cupon_id') }} as {{ dbt.type_string() }}
        ) as promocion_id,
        cast(cupones.promocion_id as {{ dbt.type_string() }}) as promocion_oro_id,
        cast(cupones.cupon_id as {{ dbt.type_string() }}) as cupon_id,
        cast(coalesce(cupones.codigo, 'N/D') as {{ dbt.type_string() }}) as codigo_cupon,
        cast(
            coalesce(
                promociones_descritas.nombre,
                'Promoción ' || cast(cupones.promocion_id as {{ dbt.type_string() }})
            )
            || ' - cupón ' || coalesce(cupones.codigo, cast(cupones.cupon_id as {{ dbt.type_string() }}))
            as {{ dbt.type_string() }}
        ) as nombre,
        coalesce(promociones_descritas.es_activa and cupones.es_activo, false) as es_activa,
        true as usa_cupones,
        cast(coalesce(promociones_descritas.aplica_a, 'N/D') as {{ dbt.type_string() }}) as aplica_a,
        cast(
            coalesce(promociones_descritas.forma_descuento, 'N/D') as {{ dbt.type_string() }}
        ) as forma_descuento,
        promociones_descritas.valor_descuento,
        cast(
            coalesce(promociones_descritas.moneda_descuento, 'N/D') as {{ dbt.type_string() }}
        ) as moneda_descuento,
        cast(cupones.vigente_desde_at as {{ dbt.type_timestamp() }}) as vigente_desde_at,
        cast(cupones.vigente_hasta_at as {{ dbt.type_timestamp() }}) as vigente_hasta_at,
        true as es_cupon,
        false as es_inferido
    from cupones
    left join promociones_descritas
        on cupones.promocion_id = promociones_descritas.promocion_id
    where cupones.promocion_id is not null

),

sin_promocion as (

    select
        cast('SIN_PROMOCION' as {{ dbt.type_string() }}) as promocion_id,
        {{ textos_nd(['promocion_oro_id', 'cupon_id', 'codigo_cupon']) }},
        cast('Sin promoción' as {{ dbt.type_string() }}) as nombre,
        {{ sin_datos }},
        false as es_inferido

),

miembros as (

    select * from filas_promocion
    union all
    select * from filas_cupon
    union all
    select * from sin_promocion

),

inferidos as (

    select distinct
        cast({{ generated_id('claves_referenciadas.clave') }} as {{ dbt.type_string() }}) as promocion_id,
        {{ textos_nd(['promocion_oro_id', 'cupon_id', 'codigo_cupon', 'nombre']) }},
        {{ sin_datos }},
        true as es_inferido
    from claves_referenciadas
    left join miembros
        on claves_referenciadas.clave = miembros.promocion_id
    where
        claves_referenciadas.dimension = 'promocion'
        and miembros.promocion_id is null

),

miembro_desconocido as (

    select
        {{ textos_nd(['promocion_id', 'promocion_oro_id', 'cupon_id', 'codigo_cupon', 'nombre']) }},
        {{ sin_datos }},
        false as es_inferido

),

unidos as (

    select * from miembros
    union all
    select * from inferidos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['promocion_id']) }} as promocion_key,
        promocion_id,
        promocion_oro_id,
        cupon_id,
        codigo_cupon,
        nombre,
        es_activa,
        usa_cupones,
        aplica_a,
        forma_descuento,
        valor_descuento,
        moneda_descuento,
        vigente_desde_at,
        vigente_hasta_at,
        es_cupon,
        es_inferido
    from unidos

)

select * from final
