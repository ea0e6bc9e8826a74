"""The folders a command is given: a file where a folder belongs is said in one line."""

import os

import pytest

from cli.commands import main


@pytest.mark.parametrize("command", ["run", "status"])
def test_a_data_dir_or_landing_that_is_a_file_is_said_in_one_line(tmp_path, capsys, command):
    """A path given as a folder that is a file, or under one: one line each, no OSError."""
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    tried = {
        "data dir is a file": (landing, a_file),
        "data dir under a file": (landing, a_file / "data"),
        "landing is a file": (a_file, data_dir),
    }
    said = {}
    for case, (where, data) in tried.items():
        args = ["--landing", str(where)] if command == "run" else []
        status = main([command, *args, "--data-dir", str(data)])
        out, err = capsys.readouterr()
        said[case] = (status, out, err)
    if command == "run":
        assert said == {
            "data dir is a file": (2, "", f"statushouders: the data dir {a_file} is a file, "
                                   "not a folder\n"),
            "data dir under a file": (2, "", f"statushouders: the data dir {a_file}/data "
                                      "cannot be made: Not a directory\n"),
            "landing is a file": (2, "", f"statushouders: the landing folder {a_file} is a "
                                  "file, not a folder\n"),
        }  # fmt: skip
    else:
        assert said["data dir is a file"] == (
            2, "", f"statushouders: the data dir {a_file} is a file, not a folder\n"
        )  # fmt: skip
        assert said["data dir under a file"] == (
            2, "", f"statushouders: the data dir {a_file}/data does not exist\n"
        )  # fmt: skip


def test_the_ui_says_a_data_dir_that_is_a_file_in_the_same_line(tmp_path, capsys):
    """`ui` makes its data dir through the same helper as `run` (it used to print OSError's
    '[Errno 17] File exists')."""
    landing, a_file = tmp_path / "landing", tmp_path / "a-file"
    landing.mkdir()
    a_file.write_text("")
    status = main(["ui", "--landing", str(landing), "--data-dir", str(a_file), "--port", "0"])
    assert (status, capsys.readouterr()) == (
        2, ("", f"statushouders: the data dir {a_file} is a file, not a folder\n")
    )  # fmt: skip


def test_a_demo_on_its_earlier_landing_says_it_does_not_generate_again(
    tmp_path, capsys, monkeypatch
):
    """`demo --seed 7` on a data dir with the landing of an earlier demo runs on that landing
    and says why --seed does nothing, instead of ignoring it without a word."""
    import cli.commands

    ran = []
    monkeypatch.setattr(cli.commands, "run_pipeline", lambda *paths: ran.append(paths) or 0)
    monkeypatch.delenv("STATUSHOUDERS_PUBLIC_URL", raising=False)  # the demo sets it
    (tmp_path / "landing").mkdir()
    status = main(["demo", "--data-dir", str(tmp_path), "--seed", "7", "--no-serve"])
    out = capsys.readouterr().out
    assert status == 0 and ran == [(tmp_path / "landing", tmp_path)]
    assert f"Using the landing {tmp_path / 'landing'} the demo wrote before" in out
    assert "--seed and --scale apply only to a new one" in out


def test_a_demo_on_another_port_cites_the_port_it_serves_on(tmp_path, monkeypatch):
    """`demo --port 8765` served on 8765 while its release's citation, DCAT and page links
    named :8000, where nothing answers. A public URL that is set stays as it is."""
    import cli.commands
    from pipelines.defs.resources import PUBLIC_URL_ENV

    urls = []
    monkeypatch.setattr(
        cli.commands, "run_pipeline", lambda *_: urls.append(os.environ[PUBLIC_URL_ENV]) or 0
    )
    (tmp_path / "landing").mkdir()
    monkeypatch.delenv(PUBLIC_URL_ENV, raising=False)
    main(["demo", "--data-dir", str(tmp_path), "--port", "8765", "--no-serve"])
    monkeypatch.setenv(PUBLIC_URL_ENV, "https://data.example.nl/statushouders")
    main(["demo", "--data-dir", str(tmp_path), "--port", "8765", "--no-serve"])
    assert urls == ["http://127.0.0.1:8765", "https://data.example.nl/statushouders"]


def test_generate_refuses_a_folder_with_files_and_a_month_not_begun(tmp_path, capsys):
    """Generating into a landing mixes two generated worlds without a word; a month after
    this one writes files a run refuses. Both are one line, and nothing is written."""
    import datetime as dt

    landing = tmp_path / "landing"
    (landing / "coa").mkdir(parents=True)
    (landing / "coa" / "koppelingen_2025-06.csv").write_text("bsn\n")
    assert main(["generate", "--out", str(landing)]) == 2
    assert capsys.readouterr().err.startswith(
        f"statushouders: {landing} already holds 1 file: generate into a new or empty folder"
    )
    today = dt.date.today()
    ahead = f"{today.year + 1}-{today.month:02d}"
    fresh = tmp_path / "fresh"
    assert main(["generate", "--out", str(fresh), "--peildatum", ahead]) == 2
    assert f"--peildatum {ahead} has not begun" in capsys.readouterr().err
    assert not fresh.exists()


def test_a_pseudonym_key_too_short_stops_a_run_before_it_starts(tmp_path, capsys, monkeypatch):
    """Each source's step refused the key on its own (four identical failures, 24 s); the
    command now says it once, before Dagster loads. The key file is named when it is the
    one used."""
    landing, data_dir = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    monkeypatch.setenv("STATUSHOUDERS_PSEUDONYM_KEY", "review-key")  # 10 bytes
    status = main(["run", "--landing", str(landing), "--data-dir", str(data_dir)])
    assert (status, capsys.readouterr()) == (
        2, ("", "statushouders: the pseudonym key must be at least 16 bytes "
                "(STATUSHOUDERS_PSEUDONYM_KEY)\n")
    )  # fmt: skip
    monkeypatch.delenv("STATUSHOUDERS_PSEUDONYM_KEY")
    (data_dir / "pseudonym.key").write_text("short\n")
    status = main(["run", "--landing", str(landing), "--data-dir", str(data_dir)])
    assert (status, capsys.readouterr()) == (
        2, ("", "statushouders: the pseudonym key must be at least 16 bytes "
                f"({data_dir / 'pseudonym.key'})\n")
    )  # fmt: skip
