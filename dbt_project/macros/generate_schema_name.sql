{#- Schemas are named as configured (staging, intermediate, marts), not prefixed with the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
