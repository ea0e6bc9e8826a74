{#- The table as built is the resource the release publishes: the columns of its resource in
    the exposure open_data_release (models/published/_release.yml), in order, each of a
    type its Table Schema type takes. The contract is written once, there, so this checks
    the built table against it rather than repeating every column's data_type for dbt's
    `contract: enforced`. A row is a column out of place, missing, extra or of the wrong type;
    a resource the exposure does not have fails as one row. -#}
{% test matches_release_contract(model, resource=none) %}
{%- set name = resource or model.identifier -%}
{%- set fields = [] -%}
{%- if execute -%}
    {%- for exposure in graph.exposures.values() if exposure.name == 'open_data_release' -%}
        {%- set meta = exposure.meta or exposure.config.meta -%}
        {%- for published in meta.resources if published.name == name -%}
            {%- for field in published.fields -%}
                {%- do fields.append(field) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}
with

contract as (
    {%- if fields %}
    select * from (values
        {%- for field in fields %}
        ({{ loop.index }}, '{{ field.name }}', '{{ field.type }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as declared (position, column_name, tableschema_type)
    {%- else %}
    select 0 as position, 'no resource {{ name }} in the release' as column_name, '' as tableschema_type
    {%- endif %}
),

built as (
    select ordinal_position as position, column_name, data_type
    from information_schema.columns
    where table_catalog = '{{ model.database }}'
        and table_schema = '{{ model.schema }}'
        and table_name = '{{ model.identifier }}'
),

compared as (
    select
        coalesce(contract.position, built.position) as position,
        contract.column_name as contract_column,
        contract.tableschema_type,
        built.column_name as built_column,
        built.data_type,
        case contract.tableschema_type
            when 'string' then built.data_type = 'VARCHAR'
            when 'integer' then built.data_type in (
                'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
                'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'
            )
            when 'number' then built.data_type in ('FLOAT', 'DOUBLE') or built.data_type like 'DECIMAL(%'
            when 'boolean' then built.data_type = 'BOOLEAN'
            when 'date' then built.data_type = 'DATE'
            else false
        end as is_of_its_type
    from contract
    full outer join built on contract.position = built.position
)

select *
from compared
where contract_column is distinct from built_column or not coalesce(is_of_its_type, false)
{% endtest %}
