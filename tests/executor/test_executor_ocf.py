"""Exit codes -> status, severity and recovery, for every code and every action."""

from __future__ import annotations

import pytest

from hafailover.config.model import Role
from hafailover.executor.ocf import (
    ExecStatus,
    OcfExit,
    Recovery,
    Severity,
    classify,
    describe,
    effective_rc,
    normalize_rc,
    recovery_for,
    severity_of,
)

pytestmark = pytest.mark.tier0

ACTIONS = ("start", "stop", "promote", "demote", "notify", "meta-data", "validate-all",
           "reload", "migrate_to", "migrate_from")

# rc -> (severity when it is a failure, what that severity asks for)
TABLE = {
    0: (None, None),
    1: (Severity.SOFT, Recovery.RECOVER_IN_PLACE),
    2: (Severity.HARD, Recovery.BAN_NODE),
    3: (Severity.HARD, Recovery.BAN_NODE),
    4: (Severity.HARD, Recovery.BAN_NODE),
    5: (Severity.HARD, Recovery.BAN_NODE),
    6: (Severity.FATAL, Recovery.STOP_EVERYWHERE),
    7: (Severity.SOFT, Recovery.RECOVER_IN_PLACE),
    8: (Severity.SOFT, Recovery.RECOVER_IN_PLACE),
    9: (Severity.SOFT, Recovery.RECOVER_IN_PLACE),
    190: (None, None),
    191: (Severity.SOFT, Recovery.RECOVER_IN_PLACE),  # as 8, where promoted is a failure
}


@pytest.mark.parametrize(("rc", "expected"), sorted(TABLE.items()))
def test_each_ocf_exit_code_has_pacemakers_severity_and_recovery(
        rc: int, expected: tuple[Severity | None, Recovery | None]) -> None:
    severity, recovery = expected
    assert severity_of(rc) is severity
    if severity is not None:
        assert recovery_for(severity) is recovery


@pytest.mark.parametrize("rc", [-1, 10, 11, 64, 126, 127, 128, 137, 189, 192, 255, 256])
def test_codes_outside_the_ocf_set_are_generic_soft_errors(rc: int) -> None:
    assert normalize_rc(rc) is OcfExit.ERR_GENERIC
    assert severity_of(rc) is Severity.SOFT
    assert f"unknown exit code {rc}" in describe(rc)
    for action in (*ACTIONS, "monitor"):
        outcome = classify(action, rc)
        assert (outcome.status, outcome.severity) == (ExecStatus.ERROR, Severity.SOFT)


def test_degraded_codes_count_as_their_healthy_counterparts() -> None:
    assert effective_rc(OcfExit.DEGRADED) is OcfExit.OK
    assert effective_rc(OcfExit.DEGRADED_PROMOTED) is OcfExit.RUNNING_PROMOTED


@pytest.mark.parametrize("action", (*ACTIONS, "monitor"))
def test_every_action_and_code_maps_to_a_consistent_outcome(action: str) -> None:
    for rc in range(-1, 300):
        for interval in (0.0, 10.0):
            outcome = classify(action, rc, interval=interval,
                               expected=Role.STARTED if interval else None)
            if outcome.ok:
                assert outcome.severity is None
            else:
                assert outcome.severity is severity_of(rc), rc
                assert outcome.detail
            if rc == 5 and not (action == "monitor" and interval == 0):
                assert outcome.status is ExecStatus.NOT_INSTALLED
            if rc == 6:
                assert outcome.severity is Severity.FATAL


@pytest.mark.parametrize("action", ACTIONS)
def test_zero_succeeds_for_every_action(action: str) -> None:
    assert classify(action, 0).ok


def test_degraded_start_succeeds_with_a_warning() -> None:
    outcome = classify("start", 190)
    assert outcome.ok and outcome.warning and "degraded" in outcome.warning


def test_start_that_leaves_it_not_running_is_a_soft_failure() -> None:
    outcome = classify("start", 7)
    assert (outcome.status, outcome.severity) == (ExecStatus.ERROR, Severity.SOFT)
    assert "not running after start" in outcome.detail


def test_stop_of_a_stopped_resource_is_success_but_warns_about_the_ocf_api() -> None:
    outcome = classify("stop", 7)
    assert outcome.ok and outcome.observed is Role.STOPPED
    assert outcome.warning and "expects 0" in outcome.warning


@pytest.mark.parametrize("rc", [8, 191])
def test_promote_answering_promoted_succeeds(rc: int) -> None:
    assert classify("promote", rc).ok


@pytest.mark.parametrize("rc", [8, 191])
def test_start_answering_promoted_is_a_failure(rc: int) -> None:
    assert not classify("start", rc).ok


# --- monitors ---------------------------------------------------------------------------

PROBE = {  # rc -> role a probe without expectation reports
    0: Role.STARTED, 7: Role.STOPPED, 8: Role.PROMOTED, 190: Role.STARTED, 191: Role.PROMOTED,
}


@pytest.mark.parametrize(("rc", "role"), sorted(PROBE.items()))
def test_probe_reports_the_role_the_agent_answers(rc: int, role: Role) -> None:
    outcome = classify("monitor", rc)
    assert outcome.ok and outcome.observed is role


def test_probe_of_a_promotable_clone_reports_unpromoted_for_zero() -> None:
    assert classify("monitor", 0, promotable=True).observed is Role.UNPROMOTED


def test_probe_finding_the_software_missing_treats_the_resource_as_stopped() -> None:
    outcome = classify("monitor", 5)
    assert outcome.ok and outcome.observed is Role.STOPPED and outcome.warning


def test_recurring_monitor_reporting_not_installed_is_a_hard_failure() -> None:
    outcome = classify("monitor", 5, interval=10, expected=Role.STARTED)
    assert (outcome.status, outcome.severity) == (ExecStatus.NOT_INSTALLED, Severity.HARD)


def test_recurring_monitor_not_implemented_is_not_supported_and_hard() -> None:
    outcome = classify("monitor", 3, interval=10, expected=Role.STARTED)
    assert (outcome.status, outcome.severity) == (ExecStatus.NOT_SUPPORTED, Severity.HARD)


def test_failed_promoted_is_a_soft_failure_even_when_promoted_was_expected() -> None:
    outcome = classify("monitor", 9, interval=10, expected=Role.PROMOTED)
    assert (outcome.status, outcome.severity, outcome.observed) == (
        ExecStatus.ERROR, Severity.SOFT, Role.PROMOTED)


ROLES = (Role.STOPPED, Role.STARTED, Role.UNPROMOTED, Role.PROMOTED)
ANSWERS = {0: Role.STARTED, 7: Role.STOPPED, 8: Role.PROMOTED, 190: Role.STARTED,
           191: Role.PROMOTED}


@pytest.mark.parametrize("expected", ROLES)
@pytest.mark.parametrize(("rc", "observed"), sorted(ANSWERS.items()))
def test_monitor_compares_what_the_agent_answers_with_the_expected_role(
        expected: Role, rc: int, observed: Role) -> None:
    outcome = classify("monitor", rc, interval=10, expected=expected)
    active = {Role.STARTED, Role.UNPROMOTED}
    same = observed == expected or (observed in active and expected in active)
    assert outcome.observed is observed
    if same:
        assert outcome.ok and not outcome.unexpected
    elif expected is Role.STOPPED:
        # active where it should not be: information, not a failure
        assert outcome.ok and outcome.unexpected
    else:
        assert (outcome.status, outcome.severity) == (ExecStatus.ERROR, Severity.SOFT)
        assert f"expected {expected.value.lower()}" in outcome.detail


@pytest.mark.parametrize("rc", [1, 2, 4, 6])
@pytest.mark.parametrize("expected", [None, *ROLES])
def test_monitor_errors_keep_their_severity_whatever_was_expected(
        rc: int, expected: Role | None) -> None:
    outcome = classify("monitor", rc, interval=10, expected=expected)
    assert not outcome.ok and outcome.severity is severity_of(rc)
