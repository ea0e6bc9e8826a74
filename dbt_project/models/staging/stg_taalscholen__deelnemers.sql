with

source as (
    select * from {{ source('taalscholen', 'deelnemers') }}
),

final as (
    select
        bsn_pseudoniem,
        traject,
        datum_start,
        datum_einde,
        status,
        _deliverer as school_code,
        _delivery_hash as delivery_hash
    from source
)

select * from final
