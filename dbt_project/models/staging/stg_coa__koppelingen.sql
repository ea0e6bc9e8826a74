with

source as (
    select * from {{ source('coa', 'koppelingen') }}
),

final as (
    select
        v_nummer_pseudoniem as person_id,
        bsn_pseudoniem,
        bsn_pseudoniem is not null as has_bsn,
        geboortedatum,
        upper(geslacht) as geslacht,
        gemeente_code,
        opvanglocatie,
        datum_koppeling,
        datum_huisvesting,
        _delivery_hash as delivery_hash
    from source
)

select * from final
