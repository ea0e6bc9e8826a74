{#- The current snapshot per (source, kind, deliverer): the newest accepted period, and within
    a period the latest version received (a corrected file replaces the earlier one). A refused
    file never becomes current, so the older snapshot stays current. -#}
with

deliveries as (
    select * from {{ ref('stg_ingest__deliveries') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by source, kind, deliverer
            order by period desc, received_seq desc
        ) as newest_rank
    from deliveries
    where is_accepted
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
    from ranked
    where newest_rank = 1
)

select * from final
