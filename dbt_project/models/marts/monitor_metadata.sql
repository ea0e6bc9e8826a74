{#- What the release states about the cut: P, the first year, and who could not be linked. -#}
with

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

persons as (
    select * from {{ ref('int_persons__housed') }}
),

counts as (
    select
        count(*) as personen,
        count(*) filter (where not has_bsn) as personen_zonder_bsn,
        count(*) filter (where is_housed_in_u16) as gehuisvest_u16,
        count(*) filter (where is_housed_in_u16 and not has_bsn) as gehuisvest_u16_zonder_bsn
    from persons
),

final as (
    select
        cut.peildatum,
        cut.first_year as eerste_jaar,
        counts.personen,
        counts.personen_zonder_bsn,
        counts.gehuisvest_u16,
        counts.gehuisvest_u16_zonder_bsn
    from cut
    cross join counts
)

select * from final
