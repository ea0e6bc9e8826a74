{#- The continuous line: one row per housing year x area x indicator, with its policy target.
    plaatsing_regio is published for U16 only; noa_binnen_3_maanden for every area. -#}
with

persons as (
    select * from {{ ref('int_persons__housed') }}
    where is_housed
),

intakes as (
    {{ current_rows(ref('stg_werk_inkomen__intakes')) }}
),

members as (
    select * from {{ ref('int_areas__members') }}
),

areas as (
    select * from {{ ref('int_areas') }}
),

indicators as (
    select indicator, cast(doel_pct as integer) as doel_pct
    from {{ ref('indicatoren_codelijst') }}
    where resource = 'doorgaande_lijn'
),

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

years as (
    select cast(jaar as integer) as jaar
    from cut
    cross join range(cut.first_year, cut.last_year + 1) as years(jaar)
),

{#- Persons of any age housed anywhere in the Netherlands who left a reception location
    inside the region. -#}
plaatsing as (
    select
        'U16' as gebied_code,
        cohort_jaar as jaar,
        count(*) filter (where is_housed_in_u16) as teller,
        count(*) as noemer
    from persons
    where is_from_regional_location
    group by all
),

noa_population as (
    select
        persons.person_id,
        persons.bsn_pseudoniem,
        persons.gemeente_code,
        persons.cohort_jaar,
        {{ add_months('persons.datum_huisvesting', 3) }} as deadline
    from persons
    cross join cut
    where {{ age_at('persons.geboortedatum', 'persons.datum_huisvesting') }} between 18 and 64
        and {{ add_months('persons.datum_huisvesting', 3) }} <= cut.peildatum
),

noa_flags as (
    select
        noa_population.*,
        exists (
            select 1
            from intakes
            where intakes.bsn_pseudoniem = noa_population.bsn_pseudoniem
                and intakes.is_noa_assessment
                and intakes.datum_intake <= noa_population.deadline
        ) as has_noa
    from noa_population
),

noa as (
    select
        members.gebied_code,
        noa_flags.cohort_jaar as jaar,
        count(*) filter (where noa_flags.has_noa) as teller,
        count(*) as noemer
    from noa_flags
    inner join members
        on noa_flags.gemeente_code = members.gemeente_code
    group by all
),

cells as (
    select *, 'plaatsing_regio' as indicator from plaatsing
    union all
    select *, 'noa_binnen_3_maanden' as indicator from noa
),

grid as (
    select years.jaar, areas.gebied_code, areas.gebied_naam, indicators.indicator, indicators.doel_pct
    from years
    cross join areas
    cross join indicators
    where indicators.indicator = 'noa_binnen_3_maanden' or areas.gebied_code = 'U16'
),

final as (
    select
        grid.gebied_code,
        grid.gebied_naam,
        grid.jaar,
        grid.indicator,
        cast(coalesce(cells.teller, 0) as integer) as teller,
        cast(coalesce(cells.noemer, 0) as integer) as noemer,
        {{ percentage('coalesce(cells.teller, 0)', 'coalesce(cells.noemer, 0)') }} as percentage,
        grid.doel_pct
    from grid
    left join cells
        on grid.jaar = cells.jaar
        and grid.gebied_code = cells.gebied_code
        and grid.indicator = cells.indicator
)

select * from final
