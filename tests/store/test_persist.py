"""The state file: atomic saves, damaged files detected and named, and set aside intact."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hafailover.core.state import FailCount
from hafailover.store.document import Document, initial, set_failures, set_node_attribute
from hafailover.store.persist import StateFileError, load, quarantine, save

pytestmark = pytest.mark.tier0


def document() -> Document:
    doc = set_node_attribute(initial("cluster: {name: c}\n", "n1"), "n1", "standby", "on", "n1")
    return set_failures(doc, [FailCount("web", "n2", 1, 1700000000.0)], "n1")


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "cluster-state.json"


def test_saved_document_loads_back(state_file: Path) -> None:
    save(state_file, document())
    assert load(state_file) == document()


def test_missing_file_loads_as_none(state_file: Path) -> None:
    assert load(state_file) is None


def test_file_and_new_directory_are_private(state_file: Path) -> None:
    save(state_file, document())
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_file.parent.stat().st_mode) & 0o077 == 0


def test_save_replaces_the_previous_document(state_file: Path) -> None:
    save(state_file, initial("old\n", "n1"))
    save(state_file, document())
    assert load(state_file) == document()
    assert os.listdir(state_file.parent) == [state_file.name]


def test_crash_before_the_rename_keeps_the_old_file_and_no_temporary(
    state_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(state_file, initial("old\n", "n1"))
    before = state_file.read_bytes()

    def power_loss(*_: object) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", power_loss)
    with pytest.raises(OSError, match="simulated crash"):
        save(state_file, document())
    assert state_file.read_bytes() == before
    assert os.listdir(state_file.parent) == [state_file.name]


def expect_damage(path: Path, reason: str) -> StateFileError:
    with pytest.raises(StateFileError) as caught:
        load(path)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    assert reason in caught.value.reason
    return caught.value


def test_truncated_file_is_reported(state_file: Path) -> None:
    save(state_file, document())
    state_file.write_bytes(state_file.read_bytes()[:40])
    expect_damage(state_file, "not valid JSON at line")


def test_empty_file_is_reported(state_file: Path) -> None:
    state_file.parent.mkdir()
    state_file.write_bytes(b"")
    expect_damage(state_file, "empty")


def test_garbage_bytes_are_reported(state_file: Path) -> None:
    state_file.parent.mkdir()
    state_file.write_bytes(b"\x00\xff\xfe garbage")
    expect_damage(state_file, "the file is damaged")


def test_hand_edit_is_caught_by_the_checksum(state_file: Path) -> None:
    save(state_file, document())
    state_file.write_text(state_file.read_text().replace('"on"', '"off"'))
    expect_damage(state_file, "checksum mismatch (the file was truncated or edited by hand)")


def test_file_without_checksum_is_reported(state_file: Path) -> None:
    save(state_file, document())
    data = json.loads(state_file.read_text())
    del data["checksum"]
    state_file.write_text(json.dumps(data))
    expect_damage(state_file, "no checksum")


def test_wrong_type_names_the_key(state_file: Path) -> None:
    from hafailover.store.persist import checksum

    save(state_file, document())
    data = json.loads(state_file.read_text())
    del data["checksum"]
    data["version"]["epoch"] = "x"
    state_file.write_text(json.dumps({**data, "checksum": checksum(data)}))
    error = expect_damage(state_file, "version.epoch: expected an integer, found 'x'")
    assert str(error) == f"{state_file}: version.epoch: expected an integer, found 'x'"


def test_quarantine_sets_the_file_aside_with_its_bytes(state_file: Path) -> None:
    state_file.parent.mkdir()
    state_file.write_bytes(b"{ damaged")
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    aside = quarantine(state_file, now=moment)
    assert aside == state_file.with_name("cluster-state.json.corrupt-20240506T070809Z")
    assert aside.read_bytes() == b"{ damaged"
    assert not state_file.exists()
    assert load(state_file) is None


def test_second_quarantine_in_the_same_second_keeps_both(state_file: Path) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    state_file.parent.mkdir()
    state_file.write_bytes(b"first")
    first = quarantine(state_file, now=moment)
    state_file.write_bytes(b"second")
    second = quarantine(state_file, now=moment)
    assert first != second
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")
