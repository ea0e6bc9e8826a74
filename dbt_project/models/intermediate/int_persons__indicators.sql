{#- One row per person per published duration in an indicator population (aged 18-64 at the
    reference date), with what holds for them at that date. A person without bsn links to
    nothing: every flag is false for them, and they stay in the population. -#}
with

reference_dates as (
    select * from {{ ref('int_persons__reference_dates') }}
    where leeftijdsklasse is not null
),

spells as (
    select * from {{ ref('int_persons__spells') }}
),

inburgeringsplichtigen as (
    {{ current_rows(ref('stg_duo__inburgeringsplichtigen')) }}
),

examens as (
    {{ current_rows(ref('stg_duo__examens')) }}
),

spell_flags as (
    select
        reference_dates.person_id,
        reference_dates.duur_maanden,
        bool_or(spells.spell_type = 'werk') as has_werk,
        bool_or(spells.spell_type = 'bijstand') as has_bijstand,
        bool_or(spells.spell_type = 'activering') as has_activering,
        bool_or(spells.spell_type = 'onderwijs') as has_onderwijs,
        bool_or(spells.spell_type = 'taalles') as has_taalles
    from reference_dates
    inner join spells
        on reference_dates.bsn_pseudoniem = spells.bsn_pseudoniem
        and {{ covers('spells.datum_start', 'spells.datum_einde', 'reference_dates.ref_date') }}
    group by all
),

inburgering_flags as (
    select
        reference_dates.person_id,
        reference_dates.duur_maanden,
        bool_or(inburgeringsplichtigen.is_inburgeringsplichtig) as is_inburgeringsplichtig,
        bool_or(
            inburgeringsplichtigen.status = 'VOLDAAN'
            and inburgeringsplichtigen.datum_status <= reference_dates.ref_date
        ) as is_inburgering_voldaan
    from reference_dates
    inner join inburgeringsplichtigen
        on reference_dates.bsn_pseudoniem = inburgeringsplichtigen.bsn_pseudoniem
    group by all
),

b1_flags as (
    select
        reference_dates.person_id,
        reference_dates.duur_maanden,
        count(distinct examens.onderdeel) = 4 as has_taalniveau_b1
    from reference_dates
    inner join examens
        on reference_dates.bsn_pseudoniem = examens.bsn_pseudoniem
        and examens.examendatum <= reference_dates.ref_date
    where examens.resultaat = 'GESLAAGD'
        and examens.niveau in ('B1', 'B2')
        and examens.onderdeel in ('LEZEN', 'LUISTEREN', 'SCHRIJVEN', 'SPREKEN')
    group by all
),

joined as (
    select
        reference_dates.person_id,
        reference_dates.geslacht,
        reference_dates.leeftijdsklasse,
        reference_dates.gemeente_code,
        reference_dates.cohort_jaar,
        reference_dates.duur_maanden,
        coalesce(spell_flags.has_werk, false) as has_werk,
        coalesce(spell_flags.has_bijstand, false) as has_bijstand,
        coalesce(spell_flags.has_activering, false) as has_activering,
        coalesce(spell_flags.has_onderwijs, false) as has_onderwijs,
        coalesce(spell_flags.has_taalles, false) as has_taalles,
        coalesce(inburgering_flags.is_inburgeringsplichtig, false) as is_inburgeringsplichtig,
        coalesce(inburgering_flags.is_inburgering_voldaan, false) as is_inburgering_voldaan,
        coalesce(b1_flags.has_taalniveau_b1, false) as has_taalniveau_b1
    from reference_dates
    left join spell_flags
        on reference_dates.person_id = spell_flags.person_id
        and reference_dates.duur_maanden = spell_flags.duur_maanden
    left join inburgering_flags
        on reference_dates.person_id = inburgering_flags.person_id
        and reference_dates.duur_maanden = inburgering_flags.duur_maanden
    left join b1_flags
        on reference_dates.person_id = b1_flags.person_id
        and reference_dates.duur_maanden = b1_flags.duur_maanden
),

final as (
    select
        *,
        has_werk and not has_bijstand as has_werk_zonder_bijstand,
        has_werk or has_activering or has_onderwijs or has_taalles as has_participatie
    from joined
)

select * from final
