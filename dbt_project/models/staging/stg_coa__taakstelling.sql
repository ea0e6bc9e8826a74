with

source as (
    select * from {{ source('coa', 'taakstelling') }}
),

final as (
    select
        gemeente_code,
        periode,
        cast(left(periode, 4) as integer) as jaar,
        cast(right(periode, 1) as integer) as halfjaar,
        taakstelling,
        _delivery_hash as delivery_hash
    from source
)

select * from final
