{#- P: the earliest peildatum among all current snapshots (taakstelling does not count).
    One consistent cut: nothing dated after P is used. -#}
with

current_deliveries as (
    select * from {{ ref('int_deliveries__current') }}
),

final as (
    select min(peildatum) as peildatum
    from current_deliveries
    where counts_for_peildatum
)

select * from final
