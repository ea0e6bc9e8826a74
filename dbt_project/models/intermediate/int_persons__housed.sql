{#- One row per person of the current COA koppelingen snapshot. Housing after P is not used:
    such a person counts as not (yet) housed. -#}
with

koppelingen as (
    select * from {{ ref('stg_coa__koppelingen') }}
),

cut as (
    select * from {{ ref('int_monitor__peildatum') }}
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

locaties as (
    select * from {{ ref('coa_locaties') }}
),

current_koppelingen as (
    {{ current_rows('koppelingen') }}
),

within_cut as (
    select
        current_koppelingen.person_id,
        current_koppelingen.bsn_pseudoniem,
        current_koppelingen.has_bsn,
        current_koppelingen.geboortedatum,
        current_koppelingen.geslacht,
        current_koppelingen.gemeente_code,
        current_koppelingen.opvanglocatie,
        case
            when current_koppelingen.datum_huisvesting <= cut.peildatum
            then current_koppelingen.datum_huisvesting
        end as housed_on
    from current_koppelingen
    cross join cut
),

final as (
    select
        within_cut.person_id,
        within_cut.bsn_pseudoniem,
        within_cut.has_bsn,
        within_cut.geboortedatum,
        within_cut.geslacht,
        within_cut.gemeente_code,
        coalesce(locaties.regio = 'J', false) as is_from_regional_location,
        within_cut.housed_on as datum_huisvesting,
        year(within_cut.housed_on) as cohort_jaar,
        within_cut.housed_on is not null as is_housed,
        within_cut.housed_on is not null and gemeenten.gemeente_code is not null
            as is_housed_in_u16
    from within_cut
    left join gemeenten
        on within_cut.gemeente_code = gemeenten.gemeente_code and gemeenten.u16 = 'J'
    left join locaties
        on within_cut.opvanglocatie = locaties.locatie_code
)

select * from final
