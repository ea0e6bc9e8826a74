"""The monthly cut (pipelines/cut.py): who is expected to deliver for the month, worked by hand
on the real contract (the source packages' SOURCE definitions) and hand-written log entries."""

import types

import dagster as dg
import pytest

from cli.commands import _cut_line, _verdict
from pipelines.cut import (
    cut_run_ended,
    next_month,
    outstanding_refusals,
    plan_cut,
    previous_month,
)
from sources import all_sources

SOURCES = list(all_sources())


def entry(kind: str, deliverer: str, period: str, status: str = "accepted") -> dict:
    """A delivery log entry with the fields the cut reads."""
    return {"kind": kind, "deliverer": deliverer, "period": period, "status": status}


def contract_logs(month: str, **others: list[dict]) -> dict[str, list[dict]]:
    """Logs by source: COA and DUO, whom the contract names, all delivered for `month`; then
    `others` (a source's entries; a source given again gets these after COA's or DUO's)."""
    logs = {
        "coa": [entry("koppelingen", "COA", month)],
        "duo": [entry("inburgeringsplichtigen", "DUO", month), entry("examens", "DUO", month)],
    }
    for source, entries in others.items():
        logs[source] = [*logs.get(source, []), *entries]
    return logs


def by_name(cut) -> dict[tuple[str, str], object]:
    return {(d.kind, d.deliverer): d for d in cut.deliverers}


@pytest.mark.parametrize(
    ("month", "before"), [("2025-06", "2025-05"), ("2025-01", "2024-12"), ("2025-10", "2025-09")]
)
def test_the_month_before(month, before):
    assert previous_month(month) == before


def test_who_delivered_last_month_is_expected_and_a_newcomer_is_welcome_but_not_awaited():
    """Utrecht (GM0344) delivered in May and June; Oudewater (GM0589) only in May, so the June
    cut waits for it; Woerden (GM0632) starts in June and is not waited for."""
    logs = contract_logs(
        "2025-06",
        werk_inkomen=[
            entry("werk_inkomen", "GM0344", "2025-05"),
            entry("werk_inkomen", "GM0344", "2025-06"),
            entry("werk_inkomen", "GM0589", "2025-05"),
            entry("werk_inkomen", "GM0632", "2025-06"),
        ],
    )
    cut = plan_cut(SOURCES, logs)
    assert cut.month == "2025-06"
    found = by_name(cut)
    utrecht = found[("werk_inkomen", "GM0344")]
    assert utrecht.expected and utrecht.delivered
    assert found[("werk_inkomen", "GM0589")].expected
    assert not found[("werk_inkomen", "GM0589")].delivered
    assert found[("werk_inkomen", "GM0589")].last_accepted == "2025-05"
    assert not found[("werk_inkomen", "GM0632")].expected
    assert [(d.source, d.deliverer) for d in cut.missing] == [("werk_inkomen", "GM0589")]
    # COA, DUO twice, Utrecht, Oudewater
    assert len(cut.expected) == 5
    assert not cut.complete


def test_the_contracts_deliverers_are_awaited_even_before_their_first_file():
    """COA and DUO are named in the contract: a cut with only a municipality's file waits for
    all three of their monthly deliveries."""
    logs = {"werk_inkomen": [entry("werk_inkomen", "GM0344", "2025-06")]}
    cut = plan_cut(SOURCES, logs)
    assert sorted((d.kind, d.deliverer) for d in cut.missing) == [
        ("examens", "DUO"),
        ("inburgeringsplichtigen", "DUO"),
        ("koppelingen", "COA"),
    ]
    assert by_name(cut)[("koppelingen", "COA")].last_accepted is None


def test_a_refused_file_does_not_count_as_delivered_and_is_named_as_refused():
    """School TS004 sent a June file that was refused: the cut still waits for it, and says
    the file was refused (the supplier is to send it again). TS005 sent a refused May file
    and then a good June one: delivered, nothing refused for June. TS007, new in June, sent
    only a refused file: shown as refused, not awaited. A refused file of the month before
    (TS006's May) is no reason to expect it."""
    logs = contract_logs(
        "2025-06",
        taalscholen=[
            entry("taalscholen", "TS004", "2025-05"),
            entry("taalscholen", "TS004", "2025-06", status="refused"),
            entry("taalscholen", "TS005", "2025-05", status="refused"),
            entry("taalscholen", "TS005", "2025-05"),
            entry("taalscholen", "TS005", "2025-06"),
            entry("taalscholen", "TS006", "2025-05", status="refused"),
            entry("taalscholen", "TS007", "2025-06", status="refused"),
        ],
    )
    cut = plan_cut(SOURCES, logs)
    found = by_name(cut)
    assert [(d.kind, d.deliverer) for d in cut.missing] == [("taalscholen", "TS004")]
    assert found[("taalscholen", "TS004")].last_accepted == "2025-05"
    assert found[("taalscholen", "TS004")].refused
    assert found[("taalscholen", "TS005")].delivered and not found[("taalscholen", "TS005")].refused
    assert ("taalscholen", "TS006") not in found
    newcomer = found[("taalscholen", "TS007")]
    assert newcomer.refused and not newcomer.expected and newcomer.last_accepted is None
    assert [d.name for d in cut.missing] == ["taalscholen TS004"]
    assert found[("examens", "DUO")].name == "duo examens DUO"


def test_complete_when_every_expected_deliverer_delivered_across_a_year_boundary():
    """December's deliverers are expected in January; the yearly taakstelling is not part of a
    monthly cut."""
    logs = contract_logs(
        "2025-01",
        coa=[entry("taakstelling", "2025", "2025")],
        werk_inkomen=[
            entry("werk_inkomen", "GM0344", "2024-12"),
            entry("werk_inkomen", "GM0344", "2025-01"),
        ],
    )
    cut = plan_cut(SOURCES, logs)
    assert cut.month == "2025-01"
    assert cut.complete and cut.missing == []
    taakstelling = by_name(cut)[("taakstelling", "2025")]
    assert taakstelling.yearly and not taakstelling.expected


def test_a_later_cut_named_explicitly_waits_for_everyone_who_delivered_the_month_before():
    """The July cut, before any July file: everyone who delivered in June is missing."""
    logs = contract_logs(
        "2025-06",
        werk_inkomen=[entry("werk_inkomen", "GM0344", "2025-06")],
    )
    cut = plan_cut(SOURCES, logs, month="2025-07")
    assert len(cut.missing) == 4 and not cut.complete


def test_no_monthly_delivery_means_no_cut():
    cut = plan_cut(SOURCES, {"coa": [entry("taakstelling", "2025", "2025")]})
    assert cut.month is None and not cut.complete
    assert cut.missing == []


def test_who_holds_p_before_the_cut_is_named_late_or_silent():
    """December's cut. Oudewater (GM0589) is a month late: November. Taalschool TS004 sent
    nothing after September, so December does not await it, but its September snapshot is
    still current: P (the earliest peildatum among the current snapshots) stays in September
    because of it alone, however late Oudewater is."""
    logs = contract_logs(
        "2025-12",
        werk_inkomen=[
            entry("werk_inkomen", "GM0344", "2025-11"),
            entry("werk_inkomen", "GM0344", "2025-12"),
            entry("werk_inkomen", "GM0589", "2025-11"),
        ],
        taalscholen=[
            entry("taalscholen", "TS001", "2025-12"),
            entry("taalscholen", "TS004", "2025-09"),
        ],
    )
    cut = plan_cut(SOURCES, logs)
    assert cut.month == "2025-12"
    [stopped] = cut.behind
    assert (stopped.deliverer, stopped.last_accepted, stopped.expected) == (
        "TS004",
        "2025-09",
        False,
    )
    # TS004 sends December: Oudewater alone holds P, in November, and the cut awaits it
    logs["taalscholen"].append(entry("taalscholen", "TS004", "2025-12"))
    [late] = plan_cut(SOURCES, logs).behind
    assert (late.deliverer, late.last_accepted, late.expected) == ("GM0589", "2025-11", True)


def test_no_one_is_behind_when_every_current_snapshot_is_for_the_cuts_month():
    logs = contract_logs(
        "2025-12",
        werk_inkomen=[entry("werk_inkomen", "GM0344", "2025-12")],
    )
    assert plan_cut(SOURCES, logs).behind == []


def test_status_says_which_missing_delivery_was_refused():
    """The June cut awaits COA, DUO twice (contract) and TS004 (delivered in May): 4, of which
    3 are in; TS004's June file was refused. TS005 is new and delivered: 1 more."""
    logs = contract_logs(
        "2025-06",
        taalscholen=[
            entry("taalscholen", "TS004", "2025-05"),
            entry("taalscholen", "TS004", "2025-06", status="refused"),
            entry("taalscholen", "TS005", "2025-06"),
        ],
    )
    cut = plan_cut(SOURCES, logs)
    assert _cut_line(cut) == (
        "Cut 2025-06: 3 of 4 expected deliveries are in (the contract's deliverers and whoever "
        "delivered for 2025-05), and 1 more; missing: taalscholen TS004 (refused: see its "
        "quarantine report)"
    )
    found = by_name(cut)
    assert _verdict(found[("taalscholen", "TS004")]) == "refused, missing"
    assert _verdict(found[("taalscholen", "TS005")]) == "delivered"


def test_what_publishes_changed_inputs_follows_the_cut_and_the_month_it_published():
    """The cut sensor publishes a month once; the schedule on the 5th whatever is new. June:
    COA and DUO (the contract's) and Utrecht, who delivered in May, are expected."""
    june = contract_logs(
        "2025-06",
        werk_inkomen=[entry("werk_inkomen", "GM0344", "2025-05")],
    )
    waiting = plan_cut(SOURCES, june)
    assert waiting.next_publication(None) == (
        "the daemon publishes once the cut of 2025-06 is complete, or on the 5th"
    )
    june["werk_inkomen"].append(entry("werk_inkomen", "GM0344", "2025-06"))
    complete = plan_cut(SOURCES, june)
    assert complete.next_publication("2025-05") == (
        "the cut of 2025-06 is complete: the daemon's cut sensor publishes it"
    )
    assert complete.next_publication("2025-06") == (
        "the cut of 2025-06 is published already: the daemon publishes what changed since on "
        "the 5th, or at the cut of 2025-07"
    )
    assert plan_cut(SOURCES, {}).next_publication(None) == "the daemon publishes on the 5th"
    # the cut sensor's run for June failed: it asks no more, and status said it would publish
    failed = types.SimpleNamespace(status=dg.DagsterRunStatus.FAILURE, run_id="51829049-7e0c")
    ended = cut_run_ended(failed, "2025-06")
    assert ended == (
        "the cut of 2025-06 failed in run 51829049 (alerted): the schedule on the 5th tries "
        "again, or `statushouders run` now"
    )
    assert complete.next_publication("2025-05", ended) == ended


def test_the_cut_sensor_says_published_once_statushouders_run_published_a_failed_cut():
    """The sensor's run for July failed; `statushouders run` then published July (its
    release.json records the cut). The sensor went on saying the cut failed, and to run."""
    from pipelines.defs.automation import _cut_published

    @dg.op
    def nothing() -> None:
        pass

    @dg.job
    def monitor() -> None:
        nothing()

    with dg.DagsterInstance.ephemeral() as instance:
        failed = instance.create_run_for_job(
            monitor, status=dg.DagsterRunStatus.FAILURE, tags={"dagster/run_key": "cut-2025-07"}
        )
        before = types.SimpleNamespace(published_cut="2025-06")
        told = _cut_published(instance, "2025-07", before)
        assert told.skip_message.startswith(
            f"the cut of 2025-07 failed in run {failed.run_id[:8]} (alerted)"
        )
        after = types.SimpleNamespace(published_cut="2025-07")
        assert _cut_published(instance, "2025-07", after).skip_message == (
            "the cut of 2025-07 is published; what changed since is published on the 5th or at "
            "the cut of 2025-08, or now by `statushouders run`"
        )


@pytest.mark.parametrize(("month", "after"), [("2025-06", "2025-07"), ("2025-12", "2026-01")])
def test_the_month_after(month, after):
    assert next_month(month) == after


def test_a_refusal_is_outstanding_until_a_file_of_its_name_or_its_month_is_accepted():
    """Oudewater's May workbook is refused, then accepted under the same name: answered. Its
    June workbook is refused twice: listed once, with the newer reason, until a June workbook
    is accepted under any name. A name the cut cannot place stays until a file of that name
    is accepted."""

    def refused(name: str, kind=None, deliverer=None, period=None, reason="no") -> dict:
        return {"file_name": name, "kind": kind, "deliverer": deliverer, "period": period,
                "status": "refused", "reason": reason}  # fmt: skip

    def accepted(name: str, period: str) -> dict:
        return {"file_name": name, "kind": "werk_inkomen", "deliverer": "GM0589",
                "period": period, "status": "accepted"}  # fmt: skip

    may, june = "GM0589_2025-05.xlsx", "GM0589_2025-06.xlsx"
    log = [
        refused(may, "werk_inkomen", "GM0589", "2025-05"),
        accepted(may, "2025-05"),
        refused(june, "werk_inkomen", "GM0589", "2025-06", reason="first"),
        refused(june, "werk_inkomen", "GM0589", "2025-06", reason="second"),
        refused("utrecht.xlsx"),
    ]
    found = outstanding_refusals(SOURCES, {"werk_inkomen": log})
    assert [(e["source"], e["file_name"], e["reason"]) for e in found] == [
        ("werk_inkomen", june, "second"),
        ("werk_inkomen", "utrecht.xlsx", "no"),
    ]
    # June accepted under another name (a corrected file, renamed): June's refusal is answered
    log.append({**accepted("GM0589_2025-06 (1).xlsx", "2025-06")})
    assert [e["file_name"] for e in outstanding_refusals(SOURCES, {"werk_inkomen": log})] == [
        "utrecht.xlsx"
    ]


def test_a_name_refused_as_such_is_answered_by_the_file_its_refusal_asked_for():
    """`GM0353_2025-07 (1).xlsx`, a browser's copy marker, is refused: "as GM0353_2025-07.xlsx
    it would be a valid name". The supplier delivers that file; the refusal stayed listed as
    outstanding in every status after, into the next months, as landing files stay."""
    log = [
        {"file_name": "GM0353_2025-07 (1).xlsx", "kind": None, "deliverer": None,
         "period": None, "status": "refused", "reason": "the file name does not match"},
        {"file_name": "GM0353_2025-06.xlsx", "kind": "werk_inkomen", "deliverer": "GM0353",
         "period": "2025-06", "status": "accepted"},
    ]  # fmt: skip
    assert [e["file_name"] for e in outstanding_refusals(SOURCES, {"werk_inkomen": log})] == [
        "GM0353_2025-07 (1).xlsx"  # June's workbook is no answer to July's
    ]
    # the cut of July (COA's koppelingen make it July's) names GM0353 refused, not missing
    logs = contract_logs("2025-07", werk_inkomen=log)
    assert _verdict(by_name(plan_cut(SOURCES, logs))[("werk_inkomen", "GM0353")]) == (
        "refused, missing"
    )
    log.append({**log[1], "file_name": "GM0353_2025-07.xlsx", "period": "2025-07"})
    assert outstanding_refusals(SOURCES, {"werk_inkomen": log}) == []
    logs = contract_logs("2025-07", werk_inkomen=log)
    assert _verdict(by_name(plan_cut(SOURCES, logs))[("werk_inkomen", "GM0353")]) == "delivered"
