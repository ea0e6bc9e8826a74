with

source as (
    select * from {{ source('werk_inkomen', 'intakes') }}
),

final as (
    select
        bsn_pseudoniem,
        datum_intake,
        noa_assessment = 'J' as is_noa_assessment,
        _deliverer as gemeente_code_levering,
        _delivery_hash as delivery_hash
    from source
)

select * from final
