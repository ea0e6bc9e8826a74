{#- One row per published grid cell (cohort_jaar x duur_maanden x gebied x geslacht x
    leeftijdsklasse x indicator), before disclosure control. Every cell of a published
    (cohort_jaar, duur_maanden) pair is present, also where the population is empty. -#}
with

persons as (
    select * from {{ ref('int_persons__indicators') }}
),

members as (
    select * from {{ ref('int_areas__members') }}
),

areas as (
    select * from {{ ref('int_areas') }}
),

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

indicators as (
    select indicator from {{ ref('indicatoren_codelijst') }} where resource = 'indicatoren'
),

geslachten as (
    select geslacht from {{ ref('geslachten') }}
),

leeftijdsklassen as (
    select leeftijdsklasse from {{ ref('leeftijdsklassen') }}
),

durations as (
    select unnest({{ var('durations') }}) as duur_maanden
),

published_pairs as (
    select cohorts.cohort_jaar, durations.duur_maanden
    from cut
    cross join range(cut.first_year, cut.last_year + 1) as cohorts(cohort_jaar)
    cross join durations
    where {{ is_published_pair('cohorts.cohort_jaar', 'durations.duur_maanden', 'cut.peildatum') }}
),

persons_in_areas as (
    select persons.*, members.gebied_code
    from persons
    inner join members
        on persons.gemeente_code = members.gemeente_code
),

counted as (
    select
        cohort_jaar,
        duur_maanden,
        gebied_code,
        case when grouping(geslacht) = 1 then 'T' else geslacht end as geslacht_code,
        case when grouping(leeftijdsklasse) = 1 then 'T' else leeftijdsklasse end as klasse_code,
        count(*) as population,
        count(*) filter (where is_inburgeringsplichtig) as population_inburgering,
        count(*) filter (where has_werk) as werk,
        count(*) filter (where has_bijstand) as bijstand,
        count(*) filter (where has_werk_zonder_bijstand) as werk_zonder_bijstand,
        count(*) filter (where has_activering) as activering,
        count(*) filter (where has_onderwijs) as onderwijs,
        count(*) filter (where has_taalles) as taalles,
        count(*) filter (where has_participatie) as participatie,
        count(*) filter (
            where is_inburgeringsplichtig and is_inburgering_voldaan
        ) as inburgering_voldaan,
        count(*) filter (where has_taalniveau_b1) as taalniveau_b1
    from persons_in_areas
    group by grouping sets (
        (cohort_jaar, duur_maanden, gebied_code, geslacht, leeftijdsklasse),
        (cohort_jaar, duur_maanden, gebied_code, geslacht),
        (cohort_jaar, duur_maanden, gebied_code, leeftijdsklasse),
        (cohort_jaar, duur_maanden, gebied_code)
    )
),

unpivoted as (
    unpivot counted
    on werk, bijstand, werk_zonder_bijstand, activering, onderwijs, taalles, participatie,
        inburgering_voldaan, taalniveau_b1
    into name indicator value teller
),

cells as (
    select
        cohort_jaar,
        duur_maanden,
        gebied_code,
        geslacht_code as geslacht,
        klasse_code as leeftijdsklasse,
        indicator,
        teller,
        case
            when indicator = 'inburgering_voldaan' then population_inburgering
            else population
        end as noemer
    from unpivoted
),

grid as (
    select
        published_pairs.cohort_jaar,
        published_pairs.duur_maanden,
        areas.gebied_code,
        areas.gebied_naam,
        geslachten.geslacht,
        leeftijdsklassen.leeftijdsklasse,
        indicators.indicator
    from published_pairs
    cross join areas
    cross join geslachten
    cross join leeftijdsklassen
    cross join indicators
),

final as (
    select
        grid.gebied_code,
        grid.gebied_naam,
        cast(grid.cohort_jaar as integer) as cohort_jaar,
        cast(grid.duur_maanden as integer) as duur_maanden,
        grid.geslacht,
        grid.leeftijdsklasse,
        grid.indicator,
        cast(coalesce(cells.teller, 0) as integer) as teller,
        cast(coalesce(cells.noemer, 0) as integer) as noemer,
        {{ percentage('coalesce(cells.teller, 0)', 'coalesce(cells.noemer, 0)') }} as percentage
    from grid
    left join cells
        on grid.cohort_jaar = cells.cohort_jaar
        and grid.duur_maanden = cells.duur_maanden
        and grid.gebied_code = cells.gebied_code
        and grid.geslacht = cells.geslacht
        and grid.leeftijdsklasse = cells.leeftijdsklasse
        and grid.indicator = cells.indicator
)

select * from final
