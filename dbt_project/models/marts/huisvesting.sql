{#- One row per area x half-year present in the taakstelling files and starting on or before P:
    the legal housing task, the persons housed, and the realisation. Public administrative
    figures: not suppressed. -#}
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

final as (
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
)

select * from final
