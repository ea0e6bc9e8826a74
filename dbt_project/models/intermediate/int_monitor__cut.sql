{#- The monitor's cut: P, and the first year (the earliest housing year in a U16 municipality). -#}
with

peildatum as (
    select * from {{ ref('int_monitor__peildatum') }}
),

persons as (
    select * from {{ ref('int_persons__housed') }}
),

first_year as (
    select min(cohort_jaar) as first_year
    from persons
    where is_housed_in_u16
),

final as (
    select
        peildatum.peildatum,
        first_year.first_year,
        year(peildatum.peildatum) as last_year
    from peildatum
    cross join first_year
)

select * from final
