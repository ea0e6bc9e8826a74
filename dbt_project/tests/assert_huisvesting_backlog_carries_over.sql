{#- The backlog is a running balance: each half-year ends at its begin plus its task minus those
    housed, and begins where the area's previous half-year ended (0 in the first). -#}
with

huisvesting as (
    select
        *,
        lag(achterstand_eind, 1, 0) over (partition by gebied_code order by periode)
            as previous_eind
    from {{ ref('huisvesting') }}
)

select gebied_code, periode, achterstand_begin, achterstand_eind, previous_eind
from huisvesting
where achterstand_begin != previous_eind
    or achterstand_eind != achterstand_begin + taakstelling - gehuisvest
