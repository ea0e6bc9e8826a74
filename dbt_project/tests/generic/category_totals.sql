{#- The categories of `category` other than 'T' sum to the 'T' row (M + V = T; the three age
    classes = T), for every combination of `keys` and each column in `values`. -#}
{% test category_totals(model, category, keys, values) %}
with

source_rows as (
    select * from {{ model }}
),

parts as (
    select
        {% for key in keys %}{{ key }},{% endfor %}
        {% for value in values %}sum({{ value }}) as {{ value }}{% if not loop.last %},{% endif %}{% endfor %}
    from source_rows
    where {{ category }} != 'T'
    group by all
),

totals as (
    select * from source_rows where {{ category }} = 'T'
)

select {% for key in keys %}totals.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
from totals
left join parts
    on {% for key in keys %}totals.{{ key }} = parts.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where
    {% for value in values %}
    coalesce(parts.{{ value }}, 0) != totals.{{ value }}{% if not loop.last %} or{% endif %}
    {% endfor %}
{% endtest %}
