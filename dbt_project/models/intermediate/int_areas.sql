with

members as (
    select * from {{ ref('int_areas__members') }}
),

final as (
    select distinct gebied_code, gebied_naam, gebied_niveau
    from members
)

select * from final
