{#- Every (cohort_jaar, duur_maanden) pair whose whole cohort has been observed by P is published,
    no other, and each with the full grid: areas x geslacht x leeftijdsklasse x indicators. -#}
{#- Dagster shows it as a check on indicatoren, not as a loose observation. -#}
{{ config(meta={'dagster': {'ref': {'name': 'indicatoren'}}}) }}
with

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

expected_pairs as (
    select cohorts.cohort_jaar, durations.duur_maanden
    from cut
    cross join range(cut.first_year, cut.last_year + 1) as cohorts(cohort_jaar)
    cross join (select unnest({{ var('durations') }}) as duur_maanden) as durations
    where {{ add_months('make_date(cast(cohorts.cohort_jaar as integer), 12, 31)', 'durations.duur_maanden') }}
        <= cut.peildatum
),

cells_per_pair as (
    select
        (select count(*) from {{ ref('int_areas') }})
        * (select count(*) from {{ ref('geslachten') }})
        * (select count(*) from {{ ref('leeftijdsklassen') }})
        * (select count(*) from {{ ref('indicatoren_codelijst') }} where resource = 'indicatoren')
        as expected_cells
),

published as (
    select cohort_jaar, duur_maanden, count(*) as cells
    from {{ ref('indicatoren') }}
    group by all
)

select
    coalesce(expected_pairs.cohort_jaar, published.cohort_jaar) as cohort_jaar,
    coalesce(expected_pairs.duur_maanden, published.duur_maanden) as duur_maanden,
    published.cells,
    cells_per_pair.expected_cells
from expected_pairs
full outer join published
    on expected_pairs.cohort_jaar = published.cohort_jaar
    and expected_pairs.duur_maanden = published.duur_maanden
cross join cells_per_pair
where published.cells is distinct from cells_per_pair.expected_cells
    or expected_pairs.cohort_jaar is null
