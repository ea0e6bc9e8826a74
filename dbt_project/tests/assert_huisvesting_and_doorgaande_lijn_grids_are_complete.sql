{#- huisvesting: every area for every half-year in the taakstelling files starting on or before P;
    doorgaande_lijn: every year from the first year to P's year, U16 for plaatsing_regio and
    every area for noa_binnen_3_maanden. -#}
{#- Dagster shows it as a check on huisvesting, not as a loose observation. -#}
{{ config(meta={'dagster': {'ref': {'name': 'huisvesting'}}}) }}
with

areas as (
    select count(*) as n from {{ ref('int_areas') }}
),

cut as (
    select * from {{ ref('int_monitor__cut') }}
),

huisvesting as (
    select periode, count(*) as cells from {{ ref('huisvesting') }} group by all
),

doorgaande_lijn as (
    select jaar, indicator, count(*) as cells from {{ ref('doorgaande_lijn') }} group by all
),

years as (
    select count(distinct jaar) as n from {{ ref('doorgaande_lijn') }}
)

select 'huisvesting ' || periode as problem
from huisvesting, areas
where huisvesting.cells != areas.n

union all

select 'doorgaande_lijn ' || jaar || ' ' || indicator
from doorgaande_lijn, areas
where doorgaande_lijn.cells != case when indicator = 'plaatsing_regio' then 1 else areas.n end

union all

select 'doorgaande_lijn years'
from years, cut
where years.n != cut.last_year - cut.first_year + 1
