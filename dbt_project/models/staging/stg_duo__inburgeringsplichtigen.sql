with

source as (
    select * from {{ source('duo', 'inburgeringsplichtigen') }}
),

final as (
    select
        bsn_pseudoniem,
        inburgeringsplichtig = 'J' as is_inburgeringsplichtig,
        status,
        datum_status,
        _delivery_hash as delivery_hash
    from source
)

select * from final
