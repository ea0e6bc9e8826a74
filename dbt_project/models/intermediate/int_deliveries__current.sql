{#- The current snapshot per (source, kind, deliverer): the newest accepted period, and within
    a period the latest version received (a corrected file replaces the earlier one). A refused
    file never becomes current, so the older snapshot stays current. The rule is ingestion's
    (ingest/warehouse.py, current_deliveries), which marks each entry of the delivery log;
    this model only selects what it marked. -#}
with

deliveries as (
    select * from {{ ref('stg_ingest__deliveries') }}
),

final as (
    select
        delivery_hash,
        source,
        kind,
        deliverer,
        period,
        peildatum,
        counts_for_peildatum
    from deliveries
    where is_current
)

select * from final
