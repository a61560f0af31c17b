"""The chaos suite's plan, checks and report, on recorded data (no containers)."""

from __future__ import annotations

import json
import math
import time

import pytest

from hafailover.chaos.checks import (
    ArpProbe,
    StepWindow,
    Violation,
    Write,
    check,
    outages,
)
from hafailover.chaos.faults import SERVICE_FAULTS, Kind, plan
from hafailover.chaos.report import Report, StepResult

pytestmark = pytest.mark.tier0
NODES = ("n1", "n2", "n3")


def writes(*pattern: tuple[float, bool]) -> list[Write]:
    return [Write(n, t, ok, True if ok else None) for n, (t, ok) in enumerate(pattern, 1)]


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    assert plan(7, 30, NODES) == plan(7, 30, NODES)
    assert plan(7, 30, NODES) != plan(8, 30, NODES)


def test_the_second_half_of_a_plan_pairs_a_node_fault_with_a_service_fault() -> None:
    steps = plan(3, 30, NODES)
    assert all(len(step.faults) == 1 for step in steps[:15])
    for step in steps[15:]:
        node_fault, service_fault = step.faults
        assert node_fault.kind.node_level
        assert service_fault.kind in SERVICE_FAULTS


def test_a_plan_of_thirty_steps_uses_every_kind_of_fault() -> None:
    kinds = {fault.kind for step in plan(1, 30, NODES) for fault in step.faults}
    assert kinds == set(Kind)


def test_a_plan_needs_three_nodes() -> None:
    with pytest.raises(ValueError, match="3 nodes"):
        plan(1, 5, ("n1", "n2"))


def test_an_outage_runs_from_the_last_acknowledged_write_to_the_next() -> None:
    found = outages(writes((1.0, True), (1.5, False), (2.0, False), (4.0, True), (5.0, True)))
    assert len(found) == 1
    assert found[0].duration == pytest.approx(3.0)
    assert found[0].failed_writes == 2


def test_a_step_without_failed_writes_recovers_in_zero_seconds() -> None:
    recovery, violations = check([StepWindow(1, 0.0, 10.0, True, 1.0)],
                                 writes((1.0, True), (2.0, True)), [], {}, {}, 5.0)
    assert recovery == {1: 0.0}
    assert violations == []


def test_an_outage_longer_than_the_bound_is_a_violation() -> None:
    recovery, violations = check([StepWindow(1, 0.0, 30.0, True, 1.0)],
                                 writes((1.0, True), (2.0, False), (12.0, True)), [], {}, {},
                                 5.0)
    assert recovery[1] == pytest.approx(11.0)
    assert [v.code for v in violations] == ["vip-bound"]


def test_a_vip_that_never_answers_again_is_a_violation() -> None:
    recovery, violations = check([StepWindow(1, 0.0, 30.0, True, 1.0)],
                                 writes((1.0, True), (2.0, False)), [], {}, {}, 5.0)
    assert math.isinf(recovery[1])
    assert [v.code for v in violations] == ["vip-bound"]


def test_two_macs_answering_for_the_vip_is_a_violation_in_its_step() -> None:
    _, violations = check([StepWindow(4, 0.0, 30.0, True, 1.0)], [],
                          [ArpProbe(3.0, ("aa", "bb")), ArpProbe(3.1, ("aa",))], {}, {}, 5.0)
    assert [(v.code, v.step) for v in violations] == [("two-holders", 4)]


def test_an_acknowledged_record_missing_or_changed_at_the_end_is_lost() -> None:
    expected = {"r1": "one", "r2": "two", "r3": "three"}
    _, violations = check([], [], [], {"r1": "one", "r2": "TWO"}, expected, 5.0)
    assert sorted(v.message for v in violations) == [
        "acknowledged record r2 is changed", "acknowledged record r3 is missing"]


def test_a_store_that_cannot_be_read_loses_everything_acknowledged() -> None:
    _, violations = check([], [], [], None, {"r1": "one"}, 5.0)
    assert [v.code for v in violations] == ["lost-write"]


def test_a_record_that_does_not_read_back_is_a_violation() -> None:
    _, violations = check([], [Write(1, 1.0, True, False)], [], {}, {}, 5.0)
    assert [v.code for v in violations] == ["read-back"]


def test_an_unhealthy_cluster_after_the_undo_is_a_violation() -> None:
    _, violations = check([StepWindow(2, 0.0, 9.0, False, None)], [], [], {}, {}, 5.0)
    assert [v.code for v in violations] == ["not-healthy"]


def test_the_report_counts_faults_recovery_violations_and_lost_writes() -> None:
    steps = [StepResult(1, ["kill n1"], 0.0, 1.5, True, 3.0),
             StepResult(2, ["pause n2", "kill-store n3"], 10.0, 0.5, True, 2.0)]
    report = Report(7, "docker-compose.yml", "podman", 0.0, 60.0, 20.0, steps, 100, 98, [])
    document = json.loads(json.dumps(report.to_json()))
    assert document["faults"] == 3
    assert document["recovery_s"] == {"p50": 0.5, "p95": 1.5, "max": 1.5}
    assert (document["violations"], document["lost_writes"], document["passed"]) == (0, 0, True)
    text = report.to_text()
    assert "violations: 0" in text
    assert "lost writes: 0" in text
    assert text.endswith("PASSED")


def test_the_report_names_the_step_its_faults_and_the_time_of_each_violation() -> None:
    steps = [StepResult(19, ["kill-store n3", "disconnect n2"], 100.0, 2.85, True, 2.3)]
    when = 1796680577.123
    violations = [Violation("two-holders", "two containers answered ARP for the VIP at once: "
                            "a (n1), b (n2)", 19, when)]
    text = Report(1, "docker-compose.yml", "podman", 0.0, 60.0, 20.0, steps, 100, 98,
                  violations).to_text()
    stamp = time.strftime("%H:%M:%S", time.localtime(when)) + ".123"
    assert (f"  two-holders: step 19 (kill-store n3 + disconnect n2) at {stamp}: two "
            "containers answered ARP for the VIP at once") in text
