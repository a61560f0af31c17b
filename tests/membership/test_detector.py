"""Failure detection: suspicion after dead time on every link; one lost link is a warning."""

from __future__ import annotations

import pytest

from hafailover.membership.detector import FailureDetector

pytestmark = pytest.mark.tier0


def test_peer_is_suspected_after_dead_time_without_heartbeats() -> None:
    det = FailureDetector(["n2"], ["ring0"], dead_time=0.5)
    det.heard("n2", "ring0", 10.0)
    assert [e.kind for e in det.changes(10.1)] == ["alive"]
    assert det.changes(10.5) == []
    (event,) = det.changes(10.51)
    assert event.kind == "suspected" and "no heartbeat on any link" in event.message
    assert det.alive_peers(10.51) == set()


def test_losing_one_of_two_links_is_a_warning_not_a_loss() -> None:
    det = FailureDetector(["n2"], ["ring0", "ring1"], dead_time=0.5)
    for t in (1.0, 1.1):
        det.heard("n2", "ring0", t)
        det.heard("n2", "ring1", t)
    det.changes(1.1)
    for t in (1.2, 1.3, 1.4, 1.5, 1.6, 1.7):
        det.heard("n2", "ring1", t)
    events = det.changes(1.7)
    assert [(e.kind, e.link) for e in events] == [("link-down", "ring0")]
    assert "still reachable over ring1" in events[0].message
    assert det.alive_peers(1.7) == {"n2"}
    det.heard("n2", "ring0", 1.8)
    assert [(e.kind, e.link) for e in det.changes(1.8)] == [("link-up", "ring0")]


def test_a_peer_never_heard_is_not_reported_lost() -> None:
    det = FailureDetector(["n2", "n3"], ["ring0"], dead_time=0.5)
    det.heard("n2", "ring0", 0.0)
    assert [(e.kind, e.node) for e in det.changes(0.1)] == [("alive", "n2")]
    assert det.alive_peers(0.1) == {"n2"}


def test_a_goodbye_is_a_clean_leave_not_a_suspicion() -> None:
    det = FailureDetector(["n2"], ["ring0"], dead_time=0.5)
    det.heard("n2", "ring0", 1.0)
    det.changes(1.0)
    det.forget("n2")
    (event,) = det.changes(1.1)
    assert event.kind == "left"
    assert det.alive_peers(1.1) == set()


def test_a_peer_is_late_between_the_probe_threshold_and_the_loss_time() -> None:
    det = FailureDetector(["n2", "n3", "n4"], ["ring0", "ring1"], dead_time=0.5)
    det.heard("n2", "ring0", 10.0)
    det.heard("n2", "ring1", 9.0)  # the newest heartbeat on any link counts
    det.heard("n3", "ring1", 10.0)
    det.forget("n3")  # it left: never late
    assert det.late_peers(10.25, after=0.25, until=0.75) == []
    assert det.late_peers(10.5, after=0.25, until=0.75) == ["n2"]
    assert det.late_peers(10.75, after=0.25, until=0.75) == ["n2"]
    assert det.late_peers(11.0, after=0.25, until=0.75) == []  # given up on
    det.heard("n2", "ring1", 11.0)
    assert det.late_peers(11.125, after=0.25, until=0.75) == []
