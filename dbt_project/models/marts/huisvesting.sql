{#- One row per area x half-year present in the taakstelling files and starting on or before P:
    the legal housing task, the persons housed, the realisation, and the backlog carried from
    half-year to half-year (indicators.md, resource 2). Public administrative figures: not
    suppressed. -#}
with

taakstelling as (
    {{ current_rows(ref('stg_coa__taakstelling')) }}
),

persons as (
    select * from {{ ref('int_persons__housed') }}
    where is_housed
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

periods as (
    select distinct
        periode,
        make_date(jaar, case when halfjaar = 1 then 1 else 7 end, 1) as start_date,
        make_date(jaar, case when halfjaar = 1 then 6 else 12 end, case when halfjaar = 1 then 30 else 31 end) as end_date
    from taakstelling
),

published_periods as (
    select periods.*, periods.end_date > cut.peildatum as is_voorlopig
    from periods
    cross join cut
    where periods.start_date <= cut.peildatum
),

task_per_area as (
    select members.gebied_code, taakstelling.periode, sum(taakstelling.taakstelling) as taakstelling
    from taakstelling
    inner join members
        on taakstelling.gemeente_code = members.gemeente_code
    group by all
),

housed_per_area as (
    select members.gebied_code, published_periods.periode, count(*) as gehuisvest
    from persons
    inner join members
        on persons.gemeente_code = members.gemeente_code
    inner join published_periods
        on persons.datum_huisvesting between published_periods.start_date and published_periods.end_date
    group by all
),

per_area as (
    select
        areas.gebied_code,
        areas.gebied_naam,
        published_periods.periode,
        cast(coalesce(task_per_area.taakstelling, 0) as integer) as taakstelling,
        cast(coalesce(housed_per_area.gehuisvest, 0) as integer) as gehuisvest,
        {{ percentage('coalesce(housed_per_area.gehuisvest, 0)', 'coalesce(task_per_area.taakstelling, 0)') }}
            as realisatie_pct,
        published_periods.is_voorlopig as voorlopig
    from published_periods
    cross join areas
    left join task_per_area
        on areas.gebied_code = task_per_area.gebied_code
        and published_periods.periode = task_per_area.periode
    left join housed_per_area
        on areas.gebied_code = housed_per_area.gebied_code
        and published_periods.periode = housed_per_area.periode
),

{#- The council's bookkeeping: what was not housed in earlier half-years adds to this one's task
    ("together with the remaining number from 2016, about 450 to house in 2017-H1"). Over the
    area's own rows, so a region's backlog is the sum of its members' backlogs, as its task and
    housed are. YYYY-H1 < YYYY-H2 < (YYYY+1)-H1 as text, so periode orders the half-years. -#}
final as (
    select
        *,
        cast(coalesce(sum(taakstelling - gehuisvest) over earlier_periods, 0) as integer)
            as achterstand_begin,
        cast(sum(taakstelling - gehuisvest) over up_to_this_period as integer) as achterstand_eind
    from per_area
    window
        earlier_periods as (
            partition by gebied_code order by periode
            rows between unbounded preceding and 1 preceding
        ),
        up_to_this_period as (
            partition by gebied_code order by periode
            rows between unbounded preceding and current row
        )
)

select * from final
