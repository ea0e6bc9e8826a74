-- The code list of areas as published (indicators.md, the gebieden resource): every
-- municipality and the two regions, whether it is a municipality or a region, and the regions
-- it counts in. A region counts in itself; U10 lies within U16.
with

areas as (
    select * from {{ ref('int_areas') }}
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

final as (
    select
        areas.gebied_code,
        areas.gebied_naam,
        case when gemeenten.gemeente_code is null then 'regio' else 'gemeente' end as soort,
        coalesce(gemeenten.u10 = 'J', areas.gebied_code = 'U10') as in_u10,
        coalesce(gemeenten.u16 = 'J', true) as in_u16
    from areas
    left join gemeenten on gemeenten.gemeente_code = areas.gebied_code
)

select * from final
