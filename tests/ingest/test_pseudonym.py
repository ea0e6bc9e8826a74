"""Pseudonyms: keyed, stable across sources, different under another key (disclosure.md)."""

import hashlib
import hmac
import stat

import pyarrow as pa
import pytest

from ingest.pseudonym import Pseudonymiser, load_key


def test_a_pseudonym_is_hmac_sha256_of_kind_and_value_under_the_key():
    key = b"k" * 32
    expected = hmac.new(key, b"bsn:012345672", hashlib.sha256).hexdigest()
    assert Pseudonymiser(key).pseudonym("bsn", "012345672") == expected


def test_the_same_value_gets_the_same_pseudonym_and_unknown_stays_unknown():
    p = Pseudonymiser(b"k" * 32)
    column = p.column("bsn", pa.array(["012345672", None, "012345672", "111222333"]))
    values = column.to_pylist()
    assert values[0] == values[2] == p.pseudonym("bsn", "012345672")
    assert values[1] is None
    assert values[3] == p.pseudonym("bsn", "111222333")


def test_another_key_gives_other_pseudonyms_and_another_fingerprint():
    a, b = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert a.pseudonym("bsn", "012345672") != b.pseudonym("bsn", "012345672")
    assert a.fingerprint != b.fingerprint


def test_a_bsn_and_a_v_nummer_with_the_same_digits_do_not_collide():
    p = Pseudonymiser(b"k" * 32)
    assert p.pseudonym("bsn", "123456789") != p.pseudonym("v_nummer", "123456789")


def test_a_short_key_is_rejected():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymiser(b"short")


def test_the_key_comes_from_the_environment_first(tmp_path, monkeypatch):
    monkeypatch.setenv("STATUSHOUDERS_PSEUDONYM_KEY", "from-the-environment-0123456789")
    assert load_key(tmp_path) == b"from-the-environment-0123456789"
    assert not (tmp_path / "pseudonym.key").exists()


def test_without_a_key_the_demo_makes_one_in_the_data_dir_readable_by_the_owner_only(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("STATUSHOUDERS_PSEUDONYM_KEY", raising=False)
    first = load_key(tmp_path / "data")
    key_file = tmp_path / "data" / "pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64
    assert load_key(tmp_path / "data") == first  # made once, then reused
