{#- At every plan duration with two or more published cohorts, every area and every cohort
    indicator of the published indicatoren has a result; at no other duration is there one. -#}
{#- Dagster shows it as a check on planresultaten, not as a loose observation. -#}
{{ config(meta={'dagster': {'ref': {'name': 'planresultaten'}}}) }}
with

indicatoren as (
    select * from {{ source('published', 'indicatoren') }}
),

planresultaten as (
    select * from {{ ref('planresultaten') }}
),

grid as (
    select count(distinct gebied_code) * count(distinct indicator) as cells
    from indicatoren
),

comparable as (
    select duur_maanden
    from indicatoren
    where duur_maanden in ({{ var('plan_durations') | join(', ') }})
    group by duur_maanden
    having count(distinct cohort_jaar) >= 2
),

results as (
    select duur_maanden, count(*) as cells from planresultaten group by duur_maanden
)

select
    coalesce(comparable.duur_maanden, results.duur_maanden) as duur_maanden,
    results.cells,
    grid.cells as expected_cells
from comparable
full outer join results
    on comparable.duur_maanden = results.duur_maanden
cross join grid
where results.cells is distinct from grid.cells
    or comparable.duur_maanden is null
