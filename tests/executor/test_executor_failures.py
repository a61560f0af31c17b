"""Fail counts, expiry, migration-threshold and on-fail decisions."""

from __future__ import annotations

import itertools

import pytest
from executor_fakes import dummy

from hafailover.config.model import OnFail, Operation, ResourceDefaults, Role
from hafailover.config.scores import INFINITY
from hafailover.executor.failures import (
    BanScope,
    DecisionKind,
    FailedOperation,
    FailTable,
    decide,
    default_on_fail,
    effective_on_fail,
    fail_increment,
    policy_for,
    threshold_reached,
)
from hafailover.executor.ocf import Severity

pytestmark = pytest.mark.tier0

ON_FAIL: tuple[OnFail, ...] = ("restart", "stop", "ignore", "block", "standby", "fence")


# --- fail counts ------------------------------------------------------------------------


def test_soft_failures_add_one_and_hard_ones_set_infinity() -> None:
    assert fail_increment("monitor", Severity.SOFT) == 1
    assert fail_increment("monitor", Severity.HARD) == INFINITY
    assert fail_increment("stop", Severity.FATAL) == INFINITY


def test_a_failed_start_is_fatal_for_the_node_unless_configured_otherwise() -> None:
    assert fail_increment("start", Severity.SOFT) == INFINITY
    assert fail_increment("start", Severity.SOFT, start_failure_is_fatal=False) == 1


def test_fail_counts_accumulate_per_resource_and_node_and_cap_at_infinity() -> None:
    table = FailTable()
    table = table.record("web", "n1", now=10.0, increment=1)
    table = table.record("web", "n1", now=20.0, increment=1)
    table = table.record("web", "n2", now=30.0, increment=1)
    entry = table.get("web", "n1")
    assert entry is not None and (entry.count, entry.last_failure) == (2, 20.0)
    assert table.count("web", "n2", now=30.0, failure_timeout=0) == 1
    table = table.record("web", "n1", now=40.0, increment=INFINITY)
    assert table.count("web", "n1", now=40.0, failure_timeout=0) == INFINITY


def test_failures_expire_after_failure_timeout_since_the_last_one() -> None:
    table = FailTable().record("web", "n1", now=100.0, increment=1)
    assert table.count("web", "n1", now=159.0, failure_timeout=60) == 1
    assert table.count("web", "n1", now=160.0, failure_timeout=60) == 0
    kept, expired = table.expire({"web": 60}, now=160.0)
    assert [e.resource for e in expired] == ["web"] and kept.as_tuple() == ()


def test_failure_timeout_zero_means_failures_never_expire() -> None:
    table = FailTable().record("web", "n1", now=0.0, increment=1)
    assert table.count("web", "n1", now=1e9, failure_timeout=0) == 1
    assert table.expire({"web": 0}, now=1e9)[1] == ()


def test_clearing_forgets_one_node_or_every_node() -> None:
    table = FailTable().record("a", "n1", now=0, increment=1).record("a", "n2", now=0, increment=1)
    table = table.record("b", "n1", now=0, increment=1)
    assert [(f.resource, f.node) for f in table.clear("a", "n1").as_tuple()] == [
        ("a", "n2"), ("b", "n1")]
    assert [f.resource for f in table.clear("a").as_tuple()] == ["b"]


def test_fail_table_round_trips_through_cluster_state_fail_counts() -> None:
    table = FailTable().record("a", "n1", now=5, increment=2)
    assert FailTable.of(table.as_tuple()) == table


@pytest.mark.parametrize(("count", "threshold", "reached"), [
    (0, 3, False), (2, 3, False), (3, 3, True), (INFINITY, INFINITY, True),
    (5, INFINITY, False), (100, 0, False), (INFINITY, 0, False), (1, 1, True),
])
def test_migration_threshold(count: int, threshold: int, reached: bool) -> None:
    assert threshold_reached(count, threshold) is reached


def test_resource_meta_overrides_resource_defaults() -> None:
    defaults = ResourceDefaults(migration_threshold=5, failure_timeout=60)
    assert policy_for(dummy(), defaults).migration_threshold == 5
    p = dummy(migration_threshold=2, failure_timeout=10.0)
    policy = policy_for(p, defaults)
    assert (policy.migration_threshold, policy.failure_timeout) == (2, 10.0)


# --- on-fail defaults -------------------------------------------------------------------


def test_stop_failures_fence_when_fencing_is_enabled_and_block_otherwise() -> None:
    assert default_on_fail("stop", fencing_enabled=True) == "fence"
    assert default_on_fail("stop", fencing_enabled=False) == "block"


@pytest.mark.parametrize("action", ["start", "monitor", "promote", "demote", "notify"])
def test_other_actions_restart_by_default(action: str) -> None:
    assert default_on_fail(action, fencing_enabled=True) == "restart"


def test_demote_inherits_the_promoted_monitors_on_fail() -> None:
    ops = (Operation("monitor", interval=10, role=Role.PROMOTED, on_fail="block"),
           Operation("monitor", interval=11, role=Role.UNPROMOTED, on_fail="stop"))
    assert default_on_fail("demote", fencing_enabled=True, operations=ops) == "block"


def test_configured_fence_without_fencing_falls_back() -> None:
    assert effective_on_fail("monitor", "fence", fencing_enabled=False) == "stop"
    assert effective_on_fail("stop", "fence", fencing_enabled=False) == "block"
    assert effective_on_fail("monitor", "standby", fencing_enabled=False) == "standby"
    assert effective_on_fail("monitor", None, fencing_enabled=False) == "restart"


# --- decisions --------------------------------------------------------------------------


def failed(severity: Severity, action: str = "monitor") -> FailedOperation:
    return FailedOperation("web", "n1", action, 10.0 if action == "monitor" else 0.0, severity,
                           "not running", rc=7)


EXPLICIT = {"fence": DecisionKind.FENCE_NODE, "block": DecisionKind.BLOCK,
            "standby": DecisionKind.STANDBY_NODE, "stop": DecisionKind.STOP,
            "ignore": DecisionKind.IGNORE}


@pytest.mark.parametrize(("on_fail", "severity", "count", "threshold"), list(itertools.product(
    ON_FAIL, list(Severity), [1, 2, INFINITY], [0, 2, 3, INFINITY])))
def test_every_on_fail_severity_and_count_gives_one_reasoned_decision(
        on_fail: OnFail, severity: Severity, count: int, threshold: int) -> None:
    d = decide(failed(severity), on_fail=on_fail, fail_count=count, migration_threshold=threshold)
    reached = threshold_reached(count, threshold)
    expected_ban = (BanScope.EVERYWHERE if severity is Severity.FATAL
                    else BanScope.NODE if severity is Severity.HARD or reached
                    else BanScope.NONE)
    if on_fail == "ignore":
        assert (d.kind, d.ban) == (DecisionKind.IGNORE, BanScope.NONE)
    else:
        assert d.ban is expected_ban
    if on_fail in EXPLICIT:
        assert d.kind is EXPLICIT[on_fail]
    elif expected_ban is BanScope.EVERYWHERE:
        assert d.kind is DecisionKind.STOP_EVERYWHERE
    elif expected_ban is BanScope.NODE:
        assert d.kind is DecisionKind.MOVE_AWAY
    else:
        assert d.kind is DecisionKind.RECOVER_IN_PLACE
    assert d.reason.startswith("monitor (every 10s) of web on n1 failed (not running")
    assert (d.on_fail, d.fail_count, d.rc) == (on_fail, count, 7)


def test_reason_says_why_a_soft_failure_moves_the_resource() -> None:
    d = decide(failed(Severity.SOFT), on_fail="restart", fail_count=3, migration_threshold=3)
    assert d.kind is DecisionKind.MOVE_AWAY
    assert "fail count 3, migration-threshold 3" in d.reason
    assert "migration-threshold reached" in d.reason


def test_reason_of_a_fatal_failure_asks_to_fix_the_configuration() -> None:
    d = decide(failed(Severity.FATAL, "start"), on_fail="restart", fail_count=INFINITY,
               migration_threshold=INFINITY)
    assert d.kind is DecisionKind.STOP_EVERYWHERE
    assert "fail count INFINITY" in d.reason and "fix its configuration" in d.reason


def test_a_failed_stop_with_fencing_fences_the_node() -> None:
    on_fail = effective_on_fail("stop", None, fencing_enabled=True)
    d = decide(failed(Severity.SOFT, "stop"), on_fail=on_fail, fail_count=1,
               migration_threshold=INFINITY)
    assert d.kind is DecisionKind.FENCE_NODE and "fence n1" in d.reason
