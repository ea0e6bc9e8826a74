with

source as (
    select * from {{ source('duo', 'examens') }}
),

final as (
    select
        bsn_pseudoniem,
        examendatum,
        onderdeel,
        niveau,
        resultaat,
        _delivery_hash as delivery_hash
    from source
)

select * from final
