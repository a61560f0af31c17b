"""The watchdog: its decisions without a clock (tier 0), then the real process, petted,
starved, told goodbye, orphaned, stuck in a stop command, and outliving a frozen agent
(tier 1: real processes, 1-second timeouts)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.fencing.watchdog import (
    Arm,
    Bye,
    Instruction,
    Pet,
    StopCommand,
    WatchdogTimer,
    encode,
    parse_instruction,
)
from hafailover.fencing.watchdog_client import WatchdogClient

T = 1.0  # the watchdog timeout of the process tests
VIP = StopCommand("vip", ("/bin/true",), {}, 5.0)
WEB = StopCommand("web", ("/bin/true",), {"A": "b"}, 5.0)


# --- tier 0: the decision -----------------------------------------------------------------

@pytest.mark.tier0
class TestTimer:
    def test_it_fires_at_the_deadline_and_not_before(self) -> None:
        timer = WatchdogTimer(5.0, now=100.0)
        assert timer.check(104.99) is None
        assert timer.wait_time(103.0) == pytest.approx(2.0)
        assert timer.check(105.0) is not None

    def test_a_pet_postpones_the_deadline_by_the_timeout(self) -> None:
        timer = WatchdogTimer(5.0, now=100.0)
        assert timer.receive(Pet(), 103.0).accepted
        assert timer.deadline == 108.0
        assert timer.check(107.9) is None
        assert timer.check(108.0) is not None

    def test_arm_replaces_what_was_armed_before(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP, WEB)), 1.0)
        timer.receive(Arm((WEB,)), 2.0)
        firing = timer.check(5.0)
        assert firing is not None
        assert firing.commands == (WEB,)
        assert firing.kill_agent

    def test_arming_does_not_count_as_a_pet(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP,)), 4.0)
        assert timer.check(5.0) is not None

    def test_with_nothing_armed_it_fires_but_leaves_the_agent_alone(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP,)), 1.0)
        timer.receive(Arm(()), 2.0)
        firing = timer.check(6.0)
        assert firing is not None
        assert firing.commands == ()
        assert not firing.kill_agent
        assert "nothing is armed, the agent is left alone" in firing.reason

    def test_goodbye_disarms_it_for_ever(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP,)), 1.0)
        assert timer.receive(Bye(), 2.0).accepted
        assert timer.finished
        assert timer.wait_time(3.0) is None
        assert not timer.receive(Pet(), 3.0).accepted
        assert not timer.receive(Arm((WEB,)), 3.0).accepted
        timer.input_closed(4.0)
        assert timer.check(1000.0) is None

    def test_the_end_of_input_keeps_the_deadline_of_the_last_pet(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Pet(), 2.0)
        timer.input_closed(3.0)
        assert timer.check(6.9) is None
        assert timer.wait_time(3.0) == pytest.approx(4.0)
        firing = timer.check(7.0)
        assert firing is not None
        assert "pipe closed without a goodbye" in firing.reason

    def test_it_fires_only_once(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        assert timer.check(5.0) is not None
        assert timer.check(5.0) is None
        assert timer.check(50.0) is None
        assert timer.wait_time(50.0) is None

    def test_nothing_received_after_the_deadline_counts(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP,)), 1.0)
        assert not timer.receive(Pet(), 5.5).accepted
        assert not timer.receive(Bye(), 5.5).accepted
        assert not timer.receive(Arm(()), 5.5).accepted
        firing = timer.check(5.5)
        assert firing is not None
        assert firing.commands == (VIP,)

    def test_the_reason_says_how_long_and_what_it_stops(self) -> None:
        timer = WatchdogTimer(5.0, now=0.0)
        timer.receive(Arm((VIP, WEB)), 1.0)
        firing = timer.check(5.0)
        assert firing is not None
        assert firing.reason == ("no pet for 5.0 s (timeout 5.0 s): stopping 2 resources "
                                 "(vip, web) and the agent")

    def test_a_timeout_must_be_positive(self) -> None:
        for bad in (0.0, -1.0, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="positive"):
                WatchdogTimer(bad, now=0.0)


Event = tuple[str, float, int]  # what, seconds after the previous event, how many commands
events = st.lists(st.tuples(st.sampled_from(["pet", "arm", "bye", "eof", "check"]),
                            st.floats(0.0, 3.0), st.integers(0, 2)), max_size=40)


@pytest.mark.tier0
@settings(max_examples=300, deadline=None)
@given(events)
def test_any_history_fires_at_most_once_never_early_and_never_after_goodbye(
        history: list[Event]) -> None:
    timeout = 2.0
    timer = WatchdogTimer(timeout, now=0.0)
    now, last_pet, bye, fired = 0.0, 0.0, False, 0
    armed: tuple[StopCommand, ...] = ()
    for what, dt, count in history:
        now += dt
        late = now >= last_pet + timeout
        if what == "check":
            firing = timer.check(now)
            if firing is not None:
                fired += 1
                assert not bye and late
                assert firing.commands == armed
                assert firing.kill_agent == bool(armed)
            else:
                assert bye or fired or not late
        elif what == "eof":
            timer.input_closed(now)
        else:
            choices: dict[str, Instruction] = {"pet": Pet(), "bye": Bye(),
                                               "arm": Arm((VIP, WEB)[:count])}
            instruction = choices[what]
            receipt = timer.receive(instruction, now)
            assert receipt.accepted == (not late and not bye and not fired)
            if receipt.accepted:
                if what == "pet":
                    last_pet = now
                elif what == "arm":
                    armed = (VIP, WEB)[:count]
                else:
                    bye = True
    assert fired <= 1


@pytest.mark.tier0
class TestProtocol:
    def test_every_instruction_survives_a_round_trip(self) -> None:
        for instruction in (Pet(), Bye(), Arm(()), Arm((VIP, WEB))):
            line = encode(instruction)
            assert line.endswith(b"\n") and line.count(b"\n") == 1
            assert parse_instruction(line) == instruction

    @pytest.mark.parametrize("line", [
        b"", b"not json", b"\xff\xfe", b"[]", b'{"pet": false}', b'{"pet": true, "bye": true}',
        b'{"reboot": true}', b'{"arm": {}}', b'{"arm": [{"argv": ["/bin/true"]}]}',
        b'{"arm": [{"name": "x", "argv": []}]}', b'{"arm": [{"name": "x", "argv": [1]}]}',
        b'{"arm": [{"name": "x", "argv": ["a"], "env": {"A": 1}}]}',
        b'{"arm": [{"name": "x", "argv": ["a"], "timeout": 0}]}',
        b'{"arm": [{"name": "x", "argv": ["a"], "timeout": true}]}',
    ])
    def test_a_malformed_line_is_refused_with_a_reason(self, line: bytes) -> None:
        with pytest.raises(ValueError):
            parse_instruction(line)


# --- tier 1: the process --------------------------------------------------------------------

def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def marker(name: str, log: Path, *, argv: str = 'echo "$NAME $(date +%s.%N)" >> "$LOG"',
           timeout: float = 5.0) -> StopCommand:
    """A stop command that appends its name and the time to ``log``."""
    return StopCommand(name, ("/bin/sh", "-c", argv),
                       {"PATH": "/usr/bin:/bin", "NAME": name, "LOG": str(log)}, timeout)


def stamps(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    return [(name, float(at)) for name, at in
            (line.split() for line in log.read_text().splitlines())]


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    return stat[stat.rfind(b")") + 2:].startswith(b"Z")


@pytest.fixture
def fake_agent() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "600"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def client() -> Iterator[WatchdogClient]:
    watchdog = WatchdogClient()
    yield watchdog
    if watchdog.alive and watchdog.pid is not None:
        os.kill(watchdog.pid, signal.SIGKILL)
    watchdog.close(timeout=2.0)


@pytest.fixture
def raw(tmp_path: Path) -> Iterator[Callable[[int], subprocess.Popen[bytes]]]:
    """The watchdog process spoken to directly, its log in tmp_path/watchdog.log."""
    started: list[subprocess.Popen[bytes]] = []

    def start(agent_pid: int) -> subprocess.Popen[bytes]:
        with open(tmp_path / "watchdog.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hafailover.fencing.watchdog", "--timeout", str(T),
                 "--agent-pid", str(agent_pid)], stdin=subprocess.PIPE, stderr=log)
        started.append(proc)
        assert wait_for(lambda: b"watchdog started" in (tmp_path / "watchdog.log").read_bytes(),
                        10.0)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def log_lines(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "watchdog.log").read_text().splitlines()]


@pytest.mark.tier1
class TestProcess:
    def test_a_regularly_petted_watchdog_never_fires(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        client.start(T, agent_pid=fake_agent.pid)
        client.arm([marker("vip", tmp_path / "stopped")])
        end = time.monotonic() + 3 * T
        while time.monotonic() < end:
            assert client.pet()
            time.sleep(T / 10)
        assert client.alive
        assert fake_agent.poll() is None
        assert not (tmp_path / "stopped").exists()
        assert client.close() == 0

    def test_without_pets_it_stops_the_resources_in_order_then_kills_the_agent(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        log = tmp_path / "stopped"
        client.start(T, agent_pid=fake_agent.pid)
        client.arm([marker("web", log), marker("vip", log)])
        for _ in range(3):
            client.pet()
            time.sleep(T / 10)
        last_pet = time.time()
        client.pet()
        assert fake_agent.wait(timeout=T + 3) == -signal.SIGKILL
        assert wait_for(lambda: not client.alive, 2.0)
        assert client.returncode == 0
        ran = stamps(log)
        assert [name for name, _ in ran] == ["web", "vip"]
        assert last_pet + T <= ran[0][1] <= last_pet + T + 1.0
        assert ran[0][1] <= ran[1][1]

    def test_a_goodbye_ends_it_without_firing(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        client.start(T, agent_pid=fake_agent.pid)
        client.arm([marker("vip", tmp_path / "stopped")])
        client.pet()
        assert client.close() == 0
        assert not client.alive
        time.sleep(T * 1.2)
        assert fake_agent.poll() is None
        assert not (tmp_path / "stopped").exists()
        assert not client.pet()  # nothing to pet any more

    def test_an_agent_pipe_closed_without_goodbye_fires_at_the_deadline(
            self, raw: Callable[[int], subprocess.Popen[bytes]],
            fake_agent: subprocess.Popen[bytes], tmp_path: Path) -> None:
        log = tmp_path / "stopped"
        watchdog = raw(fake_agent.pid)
        assert watchdog.stdin is not None
        watchdog.stdin.write(encode(Arm((marker("vip", log),))) + encode(Pet()))
        closed = time.time()
        watchdog.stdin.close()
        time.sleep(T / 2)
        assert watchdog.poll() is None and not log.exists()  # the end of input is no pet
        assert watchdog.wait(timeout=T + 3) == 0
        assert fake_agent.wait(timeout=2) == -signal.SIGKILL
        ((name, at),) = stamps(log)
        assert name == "vip"
        assert closed + T - 0.05 <= at <= closed + T + 1.0
        assert any("pipe closed without a goodbye" in str(line["event"])
                   for line in log_lines(tmp_path))

    def test_a_stop_command_that_hangs_is_killed_at_its_timeout_and_the_next_runs(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        log, child = tmp_path / "stopped", tmp_path / "child.pid"
        hang = marker("hang", log, timeout=0.5,
                      argv=f'sleep 60 & echo $! > {child}; wait')
        client.start(T, agent_pid=fake_agent.pid)
        client.arm([hang, marker("vip", log)])
        assert fake_agent.wait(timeout=T + 4) == -signal.SIGKILL
        assert [name for name, _ in stamps(log)] == ["vip"]
        # the whole process group went, the background sleep with it
        assert wait_for(lambda: process_gone(int(child.read_text())), 2.0)

    def test_with_nothing_armed_it_fires_but_does_not_kill_the_agent(
            self, raw: Callable[[int], subprocess.Popen[bytes]],
            fake_agent: subprocess.Popen[bytes], tmp_path: Path) -> None:
        watchdog = raw(fake_agent.pid)
        assert watchdog.stdin is not None
        watchdog.stdin.write(encode(Arm(())))
        watchdog.stdin.flush()
        assert watchdog.wait(timeout=T + 3) == 0
        time.sleep(0.2)
        assert fake_agent.poll() is None
        fired = [line for line in log_lines(tmp_path) if line["level"] == "critical"]
        assert len(fired) == 1
        assert str(fired[0]["event"]).endswith("nothing is armed, the agent is left alone")

    def test_a_malformed_line_is_dropped_and_the_pets_still_count(
            self, raw: Callable[[int], subprocess.Popen[bytes]],
            fake_agent: subprocess.Popen[bytes], tmp_path: Path) -> None:
        watchdog = raw(fake_agent.pid)
        assert watchdog.stdin is not None
        watchdog.stdin.write(b"\x00garbage\n{\"reboot\": true}\n")
        for _ in range(15):
            watchdog.stdin.write(encode(Pet()))
            watchdog.stdin.flush()
            time.sleep(T / 10)
        watchdog.stdin.write(encode(Bye()))
        watchdog.stdin.close()
        assert watchdog.wait(timeout=2) == 0
        events = [str(line["event"]) for line in log_lines(tmp_path)]
        assert events.count("bad instruction dropped") == 2
        assert not any(event.startswith("no pet") for event in events)

    def test_a_device_gets_a_1_for_each_pet_and_a_v_on_goodbye(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        device = tmp_path / "watchdog"
        device.write_bytes(b"")
        client.start(T, agent_pid=fake_agent.pid, device=str(device))
        for _ in range(3):
            client.pet()
            time.sleep(T / 10)
        assert client.close() == 0
        assert device.read_bytes() == b"111V"

    def test_a_device_is_not_disarmed_when_it_fires(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes],
            tmp_path: Path) -> None:
        device = tmp_path / "watchdog"
        device.write_bytes(b"")
        client.start(T, agent_pid=fake_agent.pid, device=str(device))
        client.pet()
        assert wait_for(lambda: not client.alive, T + 3)
        assert device.read_bytes() == b"1"

    def test_a_stuck_watchdog_costs_the_agent_missed_pets_not_a_hang(
            self, client: WatchdogClient, fake_agent: subprocess.Popen[bytes]) -> None:
        client.start(T, agent_pid=fake_agent.pid)
        assert client.pid is not None
        os.kill(client.pid, signal.SIGSTOP)
        results = [client.pet() for _ in range(10_000)]  # more than a pipe holds
        assert not results[-1]
        assert client.missed_pets > 0

    def test_a_frozen_agent_is_stopped_by_its_watchdog(self, tmp_path: Path) -> None:
        log = tmp_path / "stopped"
        script = textwrap.dedent(f"""
            import sys, time
            from hafailover.fencing.watchdog_client import StopCommand, WatchdogClient
            client = WatchdogClient()
            client.start({T})
            client.arm([StopCommand("vip", ("/bin/sh", "-c", "date +%s.%N > {log}"),
                                    {{"PATH": "/usr/bin:/bin"}}, 5.0)])
            print(client.pid, flush=True)
            while True:
                client.pet()
                time.sleep({T / 10})
        """)
        agent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        try:
            assert agent.stdout is not None
            watchdog_pid = int(agent.stdout.readline())
            time.sleep(2 * T)
            assert agent.poll() is None and not log.exists()  # petted: nothing happens
            agent.send_signal(signal.SIGSTOP)
            assert agent.wait(timeout=T + 3) == -signal.SIGKILL
            assert log.exists()
            assert wait_for(lambda: process_gone(watchdog_pid), 2.0)
        finally:
            agent.kill()
            agent.wait()
