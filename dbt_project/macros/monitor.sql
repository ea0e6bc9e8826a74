{#- Date and rounding rules of indicators.md, each in one place. -#}

{#- datum + n months; a day that does not exist in the target month becomes its last day
    (DuckDB's month arithmetic clamps: 31 Aug + 6 months = 28/29 Feb). -#}
{% macro add_months(date_expr, months_expr) -%}
    cast({{ date_expr }} + to_months({{ months_expr }}) as date)
{%- endmacro %}

{#- Whole years completed since the birth date: the birthday must have been reached this year.
    Someone born on 29 February completes a year on 1 March in a year without 29 February. -#}
{% macro age_at(birth_expr, ref_expr) -%}
    (
        year({{ ref_expr }}) - year({{ birth_expr }})
        - case
            when month({{ ref_expr }}) < month({{ birth_expr }})
                or (month({{ ref_expr }}) = month({{ birth_expr }}) and day({{ ref_expr }}) < day({{ birth_expr }}))
            then 1 else 0
        end
    )
{%- endmacro %}

{#- A spell covers ref when it started on or before ref and had not ended before it (both ends inclusive). -#}
{% macro covers(start_expr, end_expr, ref_expr) -%}
    ({{ start_expr }} <= {{ ref_expr }} and ({{ end_expr }} is null or {{ end_expr }} >= {{ ref_expr }}))
{%- endmacro %}

{#- 100 × teller / noemer, one decimal, half away from zero, in exact integer arithmetic
    (a double would round 0.15 down); empty when noemer is 0. Counts are never negative. -#}
{% macro percentage(teller_expr, noemer_expr) -%}
    case
        when {{ noemer_expr }} = 0 then null
        else cast(((2000 * {{ teller_expr }} + {{ noemer_expr }}) // (2 * {{ noemer_expr }})) / 10 as decimal(6, 1))
    end
{%- endmacro %}

{#- A (cohort_jaar, duur_maanden) pair is published once the whole cohort has been observed:
    31 December of cohort_jaar + duur_maanden months <= P. -#}
{% macro is_published_pair(cohort_expr, duration_expr, peildatum_expr) -%}
    ({{ add_months('make_date(cast(' ~ cohort_expr ~ ' as integer), 12, 31)', duration_expr) }} <= {{ peildatum_expr }})
{%- endmacro %}

{#- Only the rows of current snapshots (int_deliveries__current): one consistent cut. -#}
{% macro current_rows(relation) -%}
    select *
    from {{ relation }}
    where delivery_hash in (select delivery_hash from {{ ref('int_deliveries__current') }})
{%- endmacro %}
