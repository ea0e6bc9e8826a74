{#- Which municipalities make up each published area: itself, U10 (its members) and U16 (all 16). -#}
with

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

municipalities as (
    select
        gemeente_code as gebied_code,
        gemeente_naam as gebied_naam,
        'gemeente' as gebied_niveau,
        gemeente_code
    from gemeenten
),

u10 as (
    select 'U10' as gebied_code, 'Regio U10' as gebied_naam, 'regio' as gebied_niveau, gemeente_code
    from gemeenten
    where u10 = 'J'
),

u16 as (
    select 'U16' as gebied_code, 'Regio U16' as gebied_naam, 'regio' as gebied_niveau, gemeente_code
    from gemeenten
    where u16 = 'J'
),

final as (
    select * from municipalities
    union all
    select * from u10
    union all
    select * from u16
)

select * from final
