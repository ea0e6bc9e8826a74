with

source as (
    select * from {{ source('werk_inkomen', 'uitkeringen') }}
),

final as (
    select
        bsn_pseudoniem,
        regeling,
        datum_start,
        datum_einde,
        _deliverer as gemeente_code_levering,
        _delivery_hash as delivery_hash
    from source
)

select * from final
