{#- Every delivery of every supplier, accepted or refused: the lineage the monitor's cut rests on.
    suppliers() and the sources are written from the supplier packages (pipelines/dbt_sources.py). -#}
with

{% for source_name in suppliers() %}
{{ source_name }}_deliveries as (
    select * from {{ source(source_name, 'deliveries') }}
),
{% endfor %}

unioned as (
    {% for source_name in suppliers() %}
    select * from {{ source_name }}_deliveries
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        delivery_hash,
        file_name,
        source,
        kind,
        deliverer,
        period,
        peildatum,
        coalesce(counts_for_peildatum, false) as counts_for_peildatum,
        status = 'accepted' as is_accepted,
        received_seq,
        -- decided at ingestion (ingest/warehouse.py, current_deliveries), the rule's one place
        coalesce(is_current, false) as is_current
    from unioned
)

select * from final
