{#- The regional plan's results: per area, indicator and duration, the latest published cohort
    against the one before, in the direction the plan wants (indicators.md, resource 4). Read
    from the published indicatoren, after disclosure control, so it shows only percentages the
    release publishes: a withheld one stays empty and leaves no verdict. -#}
with

indicatoren as (
    select * from {{ source('published', 'indicatoren') }}
),

plandoelen as (
    select * from {{ ref('plandoelen') }}
),

durations as (
    select unnest({{ var('plan_durations') }}) as duur_maanden
),

totals as (
    select gebied_code, gebied_naam, cohort_jaar, duur_maanden, indicator, percentage
    from indicatoren
    where geslacht = 'T' and leeftijdsklasse = 'T'
),

{#- A duration needs two published cohorts to compare; the latest is the newest whose pair is
    published, which at longer durations is an older cohort. -#}
latest_cohorts as (
    select indicatoren.duur_maanden, max(indicatoren.cohort_jaar) as cohort_jaar
    from indicatoren
    inner join durations
        on indicatoren.duur_maanden = durations.duur_maanden
    group by indicatoren.duur_maanden
    having count(distinct indicatoren.cohort_jaar) >= 2
),

compared as (
    select
        latest.gebied_code,
        latest.gebied_naam,
        latest.indicator,
        latest.duur_maanden,
        latest.cohort_jaar,
        latest.cohort_jaar - 1 as vorig_cohort_jaar,
        latest.percentage,
        previous.percentage as vorig_percentage
    from latest_cohorts
    inner join totals as latest
        on latest_cohorts.duur_maanden = latest.duur_maanden
        and latest_cohorts.cohort_jaar = latest.cohort_jaar
    left join totals as previous
        on latest.gebied_code = previous.gebied_code
        and latest.indicator = previous.indicator
        and latest.duur_maanden = previous.duur_maanden
        and latest.cohort_jaar - 1 = previous.cohort_jaar
),

with_direction as (
    select
        compared.*,
        case
            when compared.percentage > compared.vorig_percentage then 'gestegen'
            when compared.percentage < compared.vorig_percentage then 'gedaald'
            when compared.percentage = compared.vorig_percentage then 'gelijk'
        end as richting,
        plandoelen.doel
    from compared
    inner join plandoelen
        on compared.indicator = plandoelen.indicator
),

final as (
    select
        gebied_code,
        gebied_naam,
        indicator,
        duur_maanden,
        cast(cohort_jaar as integer) as cohort_jaar,
        cast(vorig_cohort_jaar as integer) as vorig_cohort_jaar,
        percentage,
        vorig_percentage,
        richting,
        doel,
        {#- `gelijk` is not behaald: the plan asks for a rise or a fall. -#}
        case when richting is not null then richting = doel end as behaald
    from with_direction
)

select * from final
