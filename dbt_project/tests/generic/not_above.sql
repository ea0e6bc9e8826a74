{#- A count never exceeds another: teller <= noemer. -#}
{% test not_above(model, column_name, maximum) %}
select *
from {{ model }}
where {{ column_name }} > {{ maximum }}
{% endtest %}
