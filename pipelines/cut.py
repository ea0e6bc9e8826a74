"""The monthly cut: who is expected to deliver for the month, and who has.

Publishing waits for the cut, so that a month's deliveries make one release, not one per
file (each release is one more for an attacker to combine). The cut is the month of the
newest accepted monthly delivery. Expected for it, per monthly kind of delivery:

- the deliverer the contract names for the kind (COA, DUO), who always delivers;
- every deliverer with an accepted delivery of that kind for the month before: who delivered
  last month delivers this month too (municipalities and schools are not listed in the
  contract, and one may stop or start).

A deliverer has delivered for the cut when an accepted delivery of the kind is for the cut's
month; a refused file does not count (status shows it as refused, for the supplier to send
again). Yearly kinds (taakstelling) are reference data for a year, not part of a monthly
cut. A pure function of the contract and the delivery logs, so the sensor, the schedule and
`statushouders status` decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingest.deliveries import Source, intended_slot


@dataclass(frozen=True)
class Deliverer:
    source: str
    kind: str
    deliverer: str
    # The newest period (YYYY-MM, or YYYY for a yearly kind) of an accepted delivery.
    last_accepted: str | None
    expected: bool
    delivered: bool
    yearly: bool = False
    # A file of the kind for the cut's month was refused, and none accepted since.
    refused: bool = False

    @property
    def name(self) -> str:
        """How status names it: "duo examens DUO", "werk_inkomen GM0344" (kind = source)."""
        kind = "" if self.kind == self.source else f" {self.kind}"
        return f"{self.source}{kind} {self.deliverer}"


@dataclass(frozen=True)
class Cut:
    month: str | None
    deliverers: tuple[Deliverer, ...]

    @property
    def expected(self) -> list[Deliverer]:
        return [d for d in self.deliverers if d.expected]

    @property
    def missing(self) -> list[Deliverer]:
        return [d for d in self.deliverers if d.expected and not d.delivered]

    @property
    def waiting_for(self) -> str:
        """The missing deliveries by name, a refused one marked: what status and the cut
        sensor say the cut waits for."""
        return ", ".join(
            d.name + (" (refused: see its quarantine report)" if d.refused else "")
            for d in self.missing
        )

    @property
    def behind(self) -> list[Deliverer]:
        """The monthly deliverers whose newest snapshot is the earliest of all, when that is
        before the cut's month: they hold P there (indicators.md: the earliest peildatum among
        the current snapshots). One the cut expects is late; one it does not expect sent
        nothing last month either, and if it has stopped, it holds P until it sends again."""
        monthly = [d for d in self.deliverers if not d.yearly and d.last_accepted]
        earliest = min((d.last_accepted for d in monthly), default=None)
        if self.month is None or earliest is None or earliest >= self.month:
            return []
        return [d for d in monthly if d.last_accepted == earliest]

    @property
    def complete(self) -> bool:
        """Every expected deliverer has delivered for the month."""
        return self.month is not None and not self.missing

    def next_publication(self, published_cut: str | None, ended: str | None = None) -> str:
        """When the daemon publishes inputs that changed since the latest release, which was
        made at the complete cut of `published_cut` (its release.json's `cut`), if any: the
        cut sensor publishes a month once, the schedule on the 5th whatever is new. `ended`
        is what `cut_run_ended` says of the sensor's run for the month, if it ended without
        publishing."""
        if self.month is None:
            return "the daemon publishes on the 5th"
        if not self.complete:
            return f"the daemon publishes once the cut of {self.month} is complete, or on the 5th"
        if published_cut == self.month:
            return (
                f"the cut of {self.month} is published already: the daemon publishes what "
                f"changed since on the 5th, or at the cut of {next_month(self.month)}"
            )
        if ended is not None:
            return ended
        return f"the cut of {self.month} is complete: the daemon's cut sensor publishes it"


# the tag Dagster gives a run a sensor asked for with a run key
RUN_KEY_TAG = "dagster/run_key"


def cut_run_key(month: str) -> str:
    """The run key of the cut sensor's run for `month`: Dagster runs it once."""
    return f"cut-{month}"


def cut_run(instance, month: str):
    """The newest run the cut sensor asked for `month` in a `dagster.DagsterInstance`, or
    None."""
    import dagster as dg

    runs = instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: cut_run_key(month)}), limit=1)
    return runs[0] if runs else None


def cut_run_ended(run, month: str) -> str | None:
    """How the cut run of `month` (a `dagster.DagsterRun`) ended without publishing, if it
    did, and what publishes instead: the cut sensor asks for a month once."""
    import dagster as dg

    if run.status == dg.DagsterRunStatus.FAILURE:
        ended = f"failed in run {run.run_id[:8]} (alerted)"
    elif run.status == dg.DagsterRunStatus.CANCELED:
        ended = f"was stopped in run {run.run_id[:8]}"
    else:
        return None
    return (
        f"the cut of {month} {ended}: the schedule on the 5th tries again, or "
        "`statushouders run` now"
    )


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"


def plan_cut(
    sources: Sequence[Source], logs: Mapping[str, list[dict]], month: str | None = None
) -> Cut:
    """Who is expected for `month` (by default the newest month delivered) and who has
    delivered, per source, kind and deliverer, from the contract and the delivery logs."""
    accepted: dict[tuple[str, str, str], set[str]] = {}
    refused: dict[tuple[str, str, str], set[str]] = {}
    for source in sources:
        for entry in logs.get(source.name, []):
            # a name refused as such counts for the file its refusal names: that
            # deliverer's month is refused, not just missing
            kind, deliverer, period = _slot(source, entry)
            if not (kind and period):
                continue  # a name that says no kind or month: the cut cannot place it
            key = (source.name, kind, deliverer)
            if entry["status"] == "accepted":
                accepted.setdefault(key, set()).add(period)
            elif deliverer:
                refused.setdefault(key, set()).add(period)
    monthly = {
        (source.name, kind.name): kind
        for source in sources
        for kind in source.kinds
        if kind.period == "month"
    }
    if month is None:
        months = [p for (s, k, _), ps in accepted.items() if (s, k) in monthly for p in ps]
        month = max(months, default=None)
    before = previous_month(month) if month else None
    keys = set(accepted)
    keys |= {(s, k, kind.deliverer) for (s, k), kind in monthly.items() if kind.deliverer}
    # a deliverer whose only file for the month was refused (a new one included) is shown
    keys |= {key for key, periods in refused.items() if key[:2] in monthly and month in periods}
    deliverers = []
    for source_name, kind_name, deliverer in sorted(keys):
        periods = accepted.get((source_name, kind_name, deliverer), set())
        last = max(periods, default=None)
        kind = monthly.get((source_name, kind_name))
        if kind is None:
            deliverers.append(
                Deliverer(source_name, kind_name, deliverer, last, False, False, yearly=True)
            )
            continue
        expected = month is not None and (kind.deliverer == deliverer or before in periods)
        delivered = month in periods
        was_refused = not delivered and month in refused.get(
            (source_name, kind_name, deliverer), ()
        )
        deliverers.append(
            Deliverer(
                source_name, kind_name, deliverer, last, expected, delivered, refused=was_refused
            )
        )
    return Cut(month, tuple(deliverers))


def outstanding_refusals(sources: Sequence[Source], logs: Mapping[str, list[dict]]) -> list[dict]:
    """The refused deliveries no accepted file has replaced since: none of the same name, nor
    of the same kind, deliverer and month, came in after it. The newest refusal per file
    name, by source and name."""
    by_name = {source.name: source for source in sources}
    found: dict[tuple[str, str], dict] = {}
    slots: dict[tuple[str, str], tuple] = {}
    for source, log in logs.items():
        for entry in log:
            # a name refused as such: the file its refusal asked for replaces it
            taken = _slot(by_name.get(source), entry)
            if entry["status"] == "accepted":
                for key in list(found):
                    if key[0] == source and (key[1] == entry["file_name"] or slots[key] == taken):
                        del found[key]
            else:
                key = (source, entry["file_name"])
                found.pop(key, None)
                found[key] = {**entry, "source": source}
                slots[key] = taken
    return [found[key] for key in sorted(found)]


def _slot(source: Source | None, entry: Mapping) -> tuple[str, str, str]:
    """The (kind, deliverer, period) a delivery log entry is for. A name refused as such
    (`GM0353_2025-07 (1).xlsx`) says none; it is for the file its refusal names, if any."""
    said = (entry["kind"], entry["deliverer"], entry["period"])
    if said[0] or entry["status"] == "accepted" or source is None:
        return said
    return intended_slot(source, entry["file_name"]) or said
