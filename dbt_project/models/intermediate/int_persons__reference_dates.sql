{#- One row per person housed in a U16 municipality per published duration: the reference date,
    the age and age class at it. Only (cohort_jaar, duur_maanden) pairs whose whole cohort has
    been observed are kept: 31 December of cohort_jaar + duur_maanden months <= P. -#}
with

persons as (
    select * from {{ ref('int_persons__housed') }}
),

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

durations as (
    select unnest({{ var('durations') }}) as duur_maanden
),

person_durations as (
    select
        persons.person_id,
        persons.bsn_pseudoniem,
        persons.geslacht,
        persons.gemeente_code,
        persons.cohort_jaar,
        persons.geboortedatum,
        durations.duur_maanden,
        {{ add_months('persons.datum_huisvesting', 'durations.duur_maanden') }} as ref_date
    from persons
    cross join durations
    cross join cut
    where persons.is_housed_in_u16
        and {{ is_published_pair('persons.cohort_jaar', 'durations.duur_maanden', 'cut.peildatum') }}
),

aged as (
    select
        *,
        {{ age_at('geboortedatum', 'ref_date') }} as age_at_ref
    from person_durations
),

final as (
    select
        person_id,
        bsn_pseudoniem,
        geslacht,
        gemeente_code,
        cohort_jaar,
        duur_maanden,
        ref_date,
        age_at_ref,
        case
            when age_at_ref between 18 and 29 then '18-29'
            when age_at_ref between 30 and 49 then '30-49'
            when age_at_ref between 50 and 64 then '50-64'
        end as leeftijdsklasse
    from aged
)

select * from final
