{#- U16 equals the sum of the 16 municipalities and U10 the sum of its members, for every
    combination of `keys` and each column in `values`. -#}
{% test area_totals(model, keys, values) %}
with

source_rows as (
    select * from {{ model }}
),

members as (
    select gebied_code as total_code, gemeente_code
    from {{ ref('int_areas__members') }}
    where gebied_code in ('U10', 'U16')
),

parts as (
    select
        members.total_code,
        {% for key in keys %}model.{{ key }},{% endfor %}
        {% for value in values %}sum(model.{{ value }}) as {{ value }}{% if not loop.last %},{% endif %}{% endfor %}
    from source_rows as model
    inner join members
        on model.gebied_code = members.gemeente_code
    group by all
),

totals as (
    select * from source_rows where gebied_code in ('U10', 'U16')
)

select totals.gebied_code, {% for key in keys %}totals.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
from totals
left join parts
    on totals.gebied_code = parts.total_code
    {% for key in keys %}and totals.{{ key }} = parts.{{ key }} {% endfor %}
where
    {% for value in values %}
    coalesce(parts.{{ value }}, 0) != totals.{{ value }}{% if not loop.last %} or{% endif %}
    {% endfor %}
{% endtest %}
