"""The fencer: levels in order, every device of a level, a sentence for the outcome.

The devices are real agents: one small script in tmp_path that records each call and
fails the actions it is told to fail.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from hafailover.config.model import (
    ClusterConfig,
    FenceDevice,
    FenceLevel,
    Node,
    frozen_map,
)
from hafailover.fencing.agents import FenceAgentResult
from hafailover.fencing.fencer import FenceOutcome, Fencer

pytestmark = pytest.mark.tier0

AGENT = f"""#!{sys.executable}
import sys, time
p = dict(line.rstrip("\\n").split("=", 1) for line in sys.stdin if "=" in line)
with open(p["log"], "a") as log:
    log.write(f"{{p['name']}} {{p['action']}} {{p['plug']}}\\n")
time.sleep(float(p.get("sleep", "0")))
if p["action"] in p.get("fail_on", "").split(","):
    print(f"Failed: {{p['name']}} cannot reach its controller", file=sys.stderr)
    sys.exit(1)
print("Success: done")
"""


class Bench:
    """A cluster of n1..n3 whose devices all run the recording agent."""

    def __init__(self, tmp_path: Path) -> None:
        self.agent = tmp_path / "fence_rec"
        self.agent.write_text(AGENT)
        self.agent.chmod(0o755)
        self.log = tmp_path / "calls"

    def device(self, name: str, *, fail_on: str = "", targets: Sequence[str] = (),
               timeout: float = 20.0, **params: str) -> FenceDevice:
        all_params = {"name": name, "log": str(self.log), "fail_on": fail_on, **params}
        return FenceDevice(id=name, agent=str(self.agent), params=frozen_map(all_params),
                           targets=tuple(targets), timeout=timeout)

    def config(self, devices: Sequence[FenceDevice],
               topology: dict[str, list[list[str]]] | None = None) -> ClusterConfig:
        levels = tuple(FenceLevel(target, i + 1, tuple(level))
                       for target, lv in (topology or {}).items()
                       for i, level in enumerate(lv))
        nodes = tuple(Node(f"n{i}", i) for i in (1, 2, 3))
        return ClusterConfig(name="c", nodes=nodes, fence_devices=tuple(devices),
                             fence_topology=levels)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def fence(config: ClusterConfig, target: str, action: str = "off") -> FenceOutcome:
    fencer = Fencer(config)
    return asyncio.run(fencer.fence(target, action, reason="it left the membership",
                                    requested_by="n2"))


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return Bench(tmp_path)


def test_the_first_level_that_succeeds_fences_the_node(bench: Bench) -> None:
    config = bench.config([bench.device("ipmi-n1", targets=["n1"]), bench.device("pdu")],
                          {"n1": [["ipmi-n1"], ["pdu"]]})
    outcome = fence(config, "n1")
    assert outcome.ok and outcome.devices == ("ipmi-n1",)
    assert bench.calls() == ["ipmi-n1 off n1"]
    assert outcome.message == ("n1 was fenced (off) by ipmi-n1 at level 1 "
                               "(requested by n2: it left the membership).")
    assert [(a.level, a.device, a.ok, a.rc) for a in outcome.attempts] == [
        (1, "ipmi-n1", True, 0)]
    assert outcome.started <= outcome.finished


def test_a_failed_level_falls_through_to_the_next(bench: Bench) -> None:
    config = bench.config([bench.device("ipmi-n1", fail_on="off"), bench.device("pdu-a"),
                           bench.device("pdu-b")],
                          {"n1": [["ipmi-n1"], ["pdu-a", "pdu-b"]]})
    outcome = fence(config, "n1")
    assert outcome.ok and outcome.devices == ("pdu-a", "pdu-b")
    assert bench.calls() == ["ipmi-n1 off n1", "pdu-a off n1", "pdu-b off n1"]
    assert outcome.message == (
        "n1 was fenced (off) by pdu-a and pdu-b at level 2 after level 1: ipmi-n1 exited 1 "
        "(Failed: ipmi-n1 cannot reach its controller) "
        "(requested by n2: it left the membership).")


def test_a_level_fails_when_any_of_its_devices_fails(bench: Bench) -> None:
    config = bench.config([bench.device("pdu-a"), bench.device("pdu-b", fail_on="off")],
                          {"n1": [["pdu-a", "pdu-b"]]})
    outcome = fence(config, "n1")
    assert not outcome.ok and outcome.devices == ()
    assert bench.calls() == ["pdu-a off n1", "pdu-b off n1"]
    assert [(a.device, a.ok) for a in outcome.attempts] == [("pdu-a", True), ("pdu-b", False)]


def test_a_failing_device_ends_its_level_and_every_failure_is_told(bench: Bench) -> None:
    config = bench.config([bench.device("a", fail_on="off"), bench.device("b"),
                           bench.device("c", timeout=0.5, sleep="30")],
                          {"n1": [["a", "b"], ["c"]]})
    outcome = fence(config, "n1")
    assert not outcome.ok
    assert bench.calls() == ["a off n1", "c off n1"]  # b never ran: level 1 had failed
    assert outcome.message.startswith(
        "n1 could not be fenced (off): level 1: a exited 1 (Failed: a cannot reach its "
        "controller); level 2: c timed out after ")
    assert outcome.message.endswith("(requested by n2: it left the membership).")


def test_without_topology_each_device_that_can_fence_the_node_is_tried_in_order(
        bench: Bench) -> None:
    config = bench.config([bench.device("first", fail_on="off"),
                           bench.device("not-for-n2", targets=["n1"]),
                           bench.device("second"), bench.device("third")])
    outcome = fence(config, "n2")
    assert outcome.ok and outcome.devices == ("second",)
    assert bench.calls() == ["first off n2", "second off n2"]
    assert [a.level for a in outcome.attempts] == [1, 2]


def test_a_node_no_device_can_fence_is_not_fenced(bench: Bench) -> None:
    config = bench.config([bench.device("only-n1", targets=["n1"])])
    outcome = fence(config, "n3")
    assert not outcome.ok and outcome.attempts == ()
    assert outcome.message == ("n3 could not be fenced (off): no fencing device can fence "
                               "it (requested by n2: it left the membership).")


def test_the_agent_is_told_the_plug_from_host_map(bench: Bench) -> None:
    config = bench.config([bench.device("pdu", host_map="n1:outlet-4;n2:outlet-5")])
    assert fence(config, "n2").ok
    assert bench.calls() == ["pdu off outlet-5"]


def test_a_reboot_through_one_device_is_a_reboot(bench: Bench) -> None:
    config = bench.config([bench.device("ipmi")])
    outcome = fence(config, "n1", "reboot")
    assert outcome.ok and outcome.action == "reboot"
    assert bench.calls() == ["ipmi reboot n1"]


def test_a_reboot_through_several_devices_turns_all_off_before_any_on(bench: Bench) -> None:
    config = bench.config([bench.device("pdu-a"), bench.device("pdu-b")],
                          {"n1": [["pdu-a", "pdu-b"]]})
    outcome = fence(config, "n1", "reboot")
    assert outcome.ok
    assert bench.calls() == ["pdu-a off n1", "pdu-b off n1", "pdu-a on n1", "pdu-b on n1"]


def test_a_node_whose_power_stays_off_after_a_reboot_is_still_fenced(bench: Bench) -> None:
    config = bench.config([bench.device("pdu-a", fail_on="on"), bench.device("pdu-b")],
                          {"n1": [["pdu-a", "pdu-b"]]})
    outcome = fence(config, "n1", "reboot")
    assert outcome.ok and outcome.devices == ("pdu-a", "pdu-b")
    assert "though turning it back on through pdu-a exited 1" in outcome.message


def test_only_off_and_reboot_are_fencing_actions(bench: Bench) -> None:
    with pytest.raises(ValueError, match="off, reboot"):
        fence(bench.config([bench.device("d")]), "n1", "on")


def test_two_requests_for_the_same_node_share_one_attempt(bench: Bench) -> None:
    config = bench.config([bench.device("slow", sleep="0.5")])

    async def twice() -> list[FenceOutcome]:
        fencer = Fencer(config)
        return list(await asyncio.gather(
            fencer.fence("n1", reason="lost", requested_by="n2"),
            fencer.fence("n1", reason="lost", requested_by="n3")))

    first, second = asyncio.run(twice())
    assert first.ok and first is second
    assert bench.calls() == ["slow off n1"]


def test_a_runner_that_raises_counts_as_a_failed_device(bench: Bench) -> None:
    config = bench.config([bench.device("broken"), bench.device("fine")])
    calls = []

    async def runner(device: FenceDevice, action: str, plug: str,
                     timeout: float | None) -> FenceAgentResult:
        calls.append(device.id)
        if device.id == "broken":
            raise OSError("no such device")
        return FenceAgentResult(True, 0, "", 0.1, False, ("x",), action)

    clock = iter([100.0, 101.5])
    fencer = Fencer(config, runner=runner, wall_clock=lambda: next(clock))
    outcome = asyncio.run(fencer.fence("n1", reason="lost", requested_by="n2"))
    assert outcome.ok and outcome.devices == ("fine",)
    assert (outcome.started, outcome.finished) == (100.0, 101.5)
    assert "level 1: broken could not be run: no such device" in outcome.message
