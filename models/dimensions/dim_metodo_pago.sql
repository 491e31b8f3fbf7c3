{#-
    dim_metodo_pago: one row per payment method the sales and payments
    use: the Oro payment method identifiers of the payment transactions
    ('<integration>_<channel id>', e.g. payment_term_1, authorize_net_3)
    and the POS methods of the store tickets (efectivo, tarjeta_debito,
    tarjeta_credito, transferencia). Business key metodo_pago_id = the value
    exactly as staged. Built from the fact sources themselves, so every
    value a fact carries has its row: no inferred members; a null method
    goes to the unknown member.
-#}

with

transacciones_pago as (

    select * from {{ ref('stg_orocommerce__payment_transactions') }}

),

transacciones_tienda as (

    select * from {{ ref('stg_csv__transacciones_tienda') }}

),

usados as (

    select distinct
        cast(metodo_pago as {{ dbt.type_string() }}) as metodo_pago_id,
        'oro' as origen
    from transacciones_pago
    where metodo_pago is not null

    union all

    select distinct
        cast(metodo_pago as {{ dbt.type_string() }}) as metodo_pago_id,
        'tienda' as origen
    from transacciones_tienda
    where metodo_pago is not null

),

metodos as (

    select
        metodo_pago_id,
        case when count(distinct origen) > 1 then 'ambos' else min(origen) end as origen,
        lower(regexp_replace(metodo_pago_id, '_[0-9]+$', '')) as tipo_integracion
    from usados
    group by metodo_pago_id

),

descritos as (

    select
        metodo_pago_id,
        cast(
            coalesce(
                case tipo_integracion
                    when 'payment_term' then 'Plazo de pago (crédito)'
                    when 'money_order' then 'Cheque o giro'
                    when 'authorize_net' then 'Tarjeta en línea (Authorize.Net)'
                    when 'paypal_express' then 'PayPal Express'
                    when 'paypal_payments_pro' then 'Tarjeta en línea (PayPal Payments Pro)'
                    when 'payflow_gateway' then 'Tarjeta en línea (Payflow)'
                    when 'efectivo' then 'Efectivo'
                    when 'tarjeta_debito' then 'Tarjeta de débito'
                    when 'tarjeta_credito' then 'Tarjeta de crédito'
                    when 'transferencia' then 'Transferencia bancaria'
                    when 'cheque' then 'Cheque'
                end,
                metodo_pago_id
            ) as {{ dbt.type_string() }}
        ) as nombre,
        cast(tipo_integracion as {{ dbt.type_string() }}) as tipo_integracion,
        cast(origen as {{ dbt.type_string() }}) as origen,
        tipo_integracion in (
            'authorize_net', 'paypal_payments_pro', 'payflow_gateway',
            'tarjeta_debito', 'tarjeta_credito'
        ) as es_tarjeta,
        tipo_integracion = 'efectivo' as es_efectivo,
        tipo_integracion = 'payment_term' as es_credito,
        false as es_inferido
    from metodos

),

miembro_desconocido as (

    select
        cast('N/D' as {{ dbt.type_string() }}) as metodo_pago_id,
        cast('N/D' as {{ dbt.type_string() }}) as nombre,
        cast('N/D' as {{ dbt.type_string() }}) as tipo_integracion,
        cast('N/D' as {{ dbt.type_string() }}) as origen,
        false as es_tarjeta,
        false as es_efectivo,
        false as es_credito,
        false as es_inferido

),

unidos as (

    select * from descritos
    union all
    select * from miembro_desconocido

),

final as (

    select
        {{ surrogate_key(['metodo_pago_id']) }} as metodo_pago_key,
        metodo_pago_id,
        nombre,
        tipo_integracion,
        origen,
        es_tarjeta,
        es_efectivo,
        es_credito,
        es_inferido
    from unidos

)

select * from final
