with

source as (
    select * from {{ source('werk_inkomen', 'trajecten') }}
),

final as (
    select
        bsn_pseudoniem,
        instrument,
        datum_start,
        datum_einde,
        _deliverer as gemeente_code_levering,
        _delivery_hash as delivery_hash
    from source
)

select * from final
