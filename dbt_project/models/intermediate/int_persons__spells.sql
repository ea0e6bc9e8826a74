{#- Every spell of every linked person, from every current snapshot, typed by what it counts
    for (indicators.md, resource 1). Werk & Inkomen spells count from every current workbook,
    whichever municipality delivered it: people move. -#}
with

dienstverbanden as (
    select * from {{ ref('stg_werk_inkomen__dienstverbanden') }}
),

uitkeringen as (
    select * from {{ ref('stg_werk_inkomen__uitkeringen') }}
),

trajecten as (
    select * from {{ ref('stg_werk_inkomen__trajecten') }}
),

deelnemers as (
    select * from {{ ref('stg_taalscholen__deelnemers') }}
),

spells as (
    select bsn_pseudoniem, 'werk' as spell_type, datum_start, datum_einde, delivery_hash
    from dienstverbanden

    union all

    select bsn_pseudoniem, 'bijstand', datum_start, datum_einde, delivery_hash
    from uitkeringen
    where regeling = 'PARTICIPATIEWET'

    union all

    select bsn_pseudoniem, 'activering', datum_start, datum_einde, delivery_hash
    from trajecten
    where instrument in (
        'WERKERVARINGSPLEK', 'TAAKSTAGE', 'WERKSTAGE', 'MEELOOPSTAGE', 'VRIJWILLIGERSWERK'
    )

    union all

    select bsn_pseudoniem, 'onderwijs', datum_start, datum_einde, delivery_hash
    from trajecten
    where instrument = 'OPLEIDING'

    union all

    select bsn_pseudoniem, 'onderwijs', datum_start, datum_einde, delivery_hash
    from deelnemers
    where traject = 'ONDERWIJSROUTE'

    union all

    select bsn_pseudoniem, 'taalles', datum_start, datum_einde, delivery_hash
    from deelnemers
),

current_spells as (
    {{ current_rows('spells') }}
),

final as (
    select bsn_pseudoniem, spell_type, datum_start, datum_einde
    from current_spells
    where bsn_pseudoniem is not null
)

select * from final
