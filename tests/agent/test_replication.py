"""This node's copy of the cluster state: what it adopts, saves and recovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from hafailover.agent.replication import (
    RejectedDocumentError,
    ReplicatedState,
    from_message,
    load_at_start,
    to_message,
)
from hafailover.store import document as doc_ops
from hafailover.store import persist

pytestmark = pytest.mark.tier0

TEXT = "cluster: {name: c}\nnodes: [{name: n1}, {name: n2}]\n"


def test_a_newer_copy_is_adopted_and_saved_before_it_is_held(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = ReplicatedState(path, doc_ops.initial(TEXT, "n1"))
    newer = doc_ops.set_node_attribute(state.document, "n2", "standby", "on", "n1")

    assert state.adopt(newer) is True
    assert persist.load(path) == newer and state.document == newer


def test_an_older_copy_is_not_adopted(tmp_path: Path) -> None:
    first = doc_ops.set_node_attribute(doc_ops.initial(TEXT, "n1"), "n1", "a", "1", "n1")
    state = ReplicatedState(tmp_path / "s.json", first)

    assert state.adopt(doc_ops.initial(TEXT, "n2")) is False
    assert state.document == first


def test_a_copy_whose_configuration_has_errors_is_refused_and_changes_nothing(
        tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    state = ReplicatedState(path, doc_ops.initial(TEXT, "n1"))
    broken = doc_ops.replace_config(state.document, "cluster: {name: c}\nnodes: 3\n", "n2")

    with pytest.raises(RejectedDocumentError, match="configuration has errors"):
        state.adopt(broken)
    assert state.document.version == doc_ops.Version() and not path.exists()


def test_a_damaged_state_file_is_set_aside_and_named(tmp_path: Path) -> None:
    path = tmp_path / "cluster-state.json"
    path.write_text('{"format": 1, "version": ')

    startup = load_at_start(path, TEXT, "n1")

    assert startup.problem is not None and str(path) in startup.problem
    assert startup.quarantined is not None and startup.quarantined.exists()
    assert startup.quarantined.read_text() == '{"format": 1, "version": '
    assert startup.document.version == doc_ops.Version()  # to be replaced from the peers


def test_without_a_saved_copy_the_file_is_the_start(tmp_path: Path) -> None:
    startup = load_at_start(tmp_path / "none.json", TEXT, "n1", "/etc/hafailover/c.yaml")
    assert startup.problem is None and startup.document.config_yaml == TEXT
    assert startup.came_from == "/etc/hafailover/c.yaml" and not startup.file_differs


def test_a_saved_copy_wins_over_the_file_and_says_when_the_file_differs(
        tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    agreed = doc_ops.replace_config(doc_ops.initial(TEXT, "n1"),
                                    TEXT + "properties: {stonith-enabled: false}\n", "n2")
    persist.save(path, agreed)

    startup = load_at_start(path, TEXT, "n1", "c.yaml")

    assert startup.document == agreed
    assert startup.came_from == f"the saved state {path}"
    assert startup.file_differs


def test_a_file_that_says_the_same_as_the_saved_copy_in_other_words_does_not_differ(
        tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    persist.save(path, doc_ops.initial(TEXT, "n1"))

    same = "# the same cluster\ncluster:\n  name: c\nnodes:\n  - name: n1\n  - name: n2\n"
    startup = load_at_start(path, same, "n1", "c.yaml")

    assert not startup.file_differs


def test_the_wire_form_round_trips_and_refuses_garbage() -> None:
    doc = doc_ops.set_node_attribute(doc_ops.initial(TEXT, "n1"), "n1", "standby", "on", "n1")
    assert from_message(to_message(doc)) == doc
    message = to_message(doc)
    message.state_json = "{not json"
    with pytest.raises(RejectedDocumentError, match="malformed"):
        from_message(message)
