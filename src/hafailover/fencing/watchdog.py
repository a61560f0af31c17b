"""The watchdog: a small process the agent pets, which stops the node when the petting stops.

The agent starts ``python -m hafailover.fencing.watchdog`` with a pipe on its standard
input and writes one JSON object a line to it:

- ``{"pet": true}`` every heartbeat interval while the agent is healthy and quorate;
- ``{"arm": [{"name": ..., "argv": [...], "env": {...}, "timeout": 20.0}, ...]}``: the
  commands that stop this node's resources, in order, run when the watchdog fires. Each
  list replaces the previous one; an empty list means there is nothing to protect;
- ``{"bye": true}``: the agent is leaving cleanly, and the watchdog exits without firing.

When ``--timeout`` seconds pass without a pet (the agent hangs, is stopped, lost quorum
or died: an end of input without a goodbye keeps the deadline of the last pet), the
watchdog fires, once: it logs why, freezes the agent (SIGSTOP), runs the armed commands
in order, each within its timeout (its process group is killed at the timeout, and a
failure does not keep the next command from running), then SIGKILLs the agent, so that
an agent that thaws cannot carry on as if nothing happened. With nothing armed it only
logs, and the agent is left alone. The cluster counts the node as fenced after twice the
timeout (docs/fencing.md).

Input read after the deadline does not count: a late pet does not save the agent.

With ``--device`` (a kernel watchdog such as /dev/watchdog) each pet also writes ``1`` to
the device and the goodbye writes the magic ``V`` that disarms it; when the watchdog
fires it stops writing, and the kernel resets the machine.

``WatchdogTimer`` is the whole decision, without clock or I/O; ``main`` is a thin loop
around it. The agent's side is ``hafailover.fencing.watchdog_client``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import math
import os
import selectors
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hafailover.log import LogFormat, configure_logging, get_logger

log = get_logger(__name__)

REALTIME_PRIORITY = 20
MAX_LINE = 1 << 20  # an instruction longer than this is dropped
OUTPUT_TAIL = 2048  # how much of a failed stop command's output is logged
# <linux/watchdog.h>: _IOWR('W', 6, int), sets the device's timeout in seconds
WDIOC_SETTIMEOUT = 0xC0045706


# --- the protocol -----------------------------------------------------------------------

@dataclass(frozen=True)
class StopCommand:
    """One command the watchdog runs when it fires: ``argv`` with exactly ``env`` as its
    environment, killed with its process group after ``timeout`` seconds."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 20.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "argv": list(self.argv), "env": dict(self.env),
                "timeout": self.timeout}

    @classmethod
    def from_json(cls, obj: object) -> StopCommand:
        if not isinstance(obj, dict):
            raise ValueError("a stop command must be an object")
        name, argv, env = obj.get("name"), obj.get("argv"), obj.get("env", {})
        timeout = obj.get("timeout", 20.0)
        if not isinstance(name, str) or not name:
            raise ValueError("a stop command needs a name")
        if (not isinstance(argv, list) or not argv
                or not all(isinstance(a, str) for a in argv)):
            raise ValueError(f"stop command {name}: argv must be a non-empty list of strings")
        if not isinstance(env, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise ValueError(f"stop command {name}: env must map strings to strings")
        if (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                or not math.isfinite(timeout) or timeout <= 0):
            raise ValueError(f"stop command {name}: timeout must be a positive number")
        return cls(name=name, argv=tuple(argv), env=dict(env), timeout=float(timeout))


@dataclass(frozen=True)
class Pet:
    """The agent is healthy and quorate: postpone the deadline."""


@dataclass(frozen=True)
class Arm:
    """What to stop when firing, in order; replaces what was armed before."""

    commands: tuple[StopCommand, ...]


@dataclass(frozen=True)
class Bye:
    """The agent leaves cleanly: never fire."""


Instruction = Pet | Arm | Bye


def encode(instruction: Instruction) -> bytes:
    """One line of the protocol."""
    obj: dict[str, Any]
    if isinstance(instruction, Pet):
        obj = {"pet": True}
    elif isinstance(instruction, Arm):
        obj = {"arm": [c.to_json() for c in instruction.commands]}
    else:
        obj = {"bye": True}
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def parse_instruction(line: bytes) -> Instruction:
    """The instruction on one line; ``ValueError`` says what is wrong with a bad one."""
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ValueError("an instruction is an object with one key: pet, arm or bye")
    if obj.get("pet") is True:
        return Pet()
    if obj.get("bye") is True:
        return Bye()
    if "arm" in obj:
        commands = obj["arm"]
        if not isinstance(commands, list):
            raise ValueError("arm takes a list of stop commands")
        return Arm(tuple(StopCommand.from_json(c) for c in commands))
    raise ValueError(f"unknown instruction {next(iter(obj))!r}")


# --- the decision -----------------------------------------------------------------------

@dataclass(frozen=True)
class Firing:
    """What to do now that the deadline has passed, and why."""

    reason: str
    commands: tuple[StopCommand, ...]
    kill_agent: bool  # only an agent with something to protect is stopped


def _describe(commands: Sequence[StopCommand]) -> str:
    names = ", ".join(c.name for c in commands)
    noun = "resource" if len(commands) == 1 else "resources"
    return f"{len(commands)} {noun} ({names})"


@dataclass(frozen=True)
class Receipt:
    """What an instruction did: whether it counted, and a sentence saying so."""

    accepted: bool
    sentence: str


class WatchdogTimer:
    """The watchdog's state: the deadline, what is armed, whether it fired or was told
    goodbye. Times are seconds of a monotonic clock, passed in by the caller.

    Once the deadline has passed, nothing changes the outcome any more: ``check`` fires
    (once), whatever was received after the deadline.
    """

    def __init__(self, timeout: float, now: float) -> None:
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError("the watchdog timeout must be a positive number of seconds")
        self.timeout = timeout
        self.last_pet = now  # the start counts as a pet
        self.commands: tuple[StopCommand, ...] = ()
        self.input_open = True
        self.fired = False
        self.said_bye = False

    @property
    def deadline(self) -> float:
        return self.last_pet + self.timeout

    @property
    def finished(self) -> bool:
        """Nothing more will happen: it fired or the agent said goodbye."""
        return self.fired or self.said_bye

    def _late(self, now: float) -> bool:
        return now >= self.deadline

    def receive(self, instruction: Instruction, now: float) -> Receipt:
        """Take one instruction; says whether it counted and what changed."""
        if self.finished:
            done = "fired" if self.fired else "been told goodbye"
            return Receipt(False, f"ignored: the watchdog has {done}")
        if self._late(now):
            return Receipt(False, f"ignored: it came {now - self.deadline:.1f} s after "
                                  "the deadline; the watchdog fires")
        if isinstance(instruction, Pet):
            self.last_pet = now
            return Receipt(True, f"petted: the deadline is in {self.timeout:g} s")
        if isinstance(instruction, Arm):
            self.commands = instruction.commands
            if not self.commands:
                return Receipt(True, "disarmed: nothing to stop, the agent would be left alone")
            return Receipt(True, f"armed: firing would stop {_describe(self.commands)} "
                                 "and the agent")
        self.said_bye = True
        return Receipt(True, "goodbye: the agent leaves cleanly, the watchdog will not fire")

    def input_closed(self, now: float) -> str:
        """The agent's pipe reached its end: the deadline of the last pet still holds."""
        self.input_open = False
        if self.finished:
            return "input closed"
        return (f"the agent's pipe closed without a goodbye: firing in "
                f"{max(0.0, self.deadline - now):.1f} s unless nothing else happens")

    def wait_time(self, now: float) -> float | None:
        """Seconds until the deadline (0 when due); ``None`` once finished."""
        if self.finished:
            return None
        return max(0.0, self.deadline - now)

    def check(self, now: float) -> Firing | None:
        """Fire if the deadline has passed; at most once."""
        if self.finished or not self._late(now):
            return None
        self.fired = True
        closed = "" if self.input_open else ", the agent's pipe closed without a goodbye"
        head = f"no pet for {now - self.last_pet:.1f} s (timeout {self.timeout:.1f} s{closed})"
        if self.commands:
            what = f"stopping {_describe(self.commands)} and the agent"
        else:
            what = "nothing is armed, the agent is left alone"
        return Firing(reason=f"{head}: {what}", commands=self.commands,
                      kill_agent=bool(self.commands))


# --- the outside world ------------------------------------------------------------------

class Device:
    """A kernel watchdog device (or, for tests, a plain file) that is written at each pet."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        if stat.S_ISCHR(os.fstat(self._fd).st_mode):
            seconds = max(1, math.ceil(timeout))
            try:
                fcntl.ioctl(self._fd, WDIOC_SETTIMEOUT, struct.pack("i", seconds))
            except OSError as exc:
                log.warning("the watchdog device keeps its own timeout", device=path,
                            wanted=seconds, error=exc.strerror)

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, data)
        except OSError as exc:
            log.error("cannot write to the watchdog device", device=self.path,
                      error=exc.strerror)

    def pet(self) -> None:
        self._write(b"1")

    def disarm(self) -> None:
        """The magic close: the kernel stops its timer."""
        self._write(b"V")
        self.abandon()

    def abandon(self) -> None:
        """Stop writing, without the magic close: the kernel's timer runs out."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Agent:
    """The agent process, by pidfd where the kernel has them, so that a reused pid is
    never signalled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise
        except (OSError, AttributeError):
            os.kill(pid, 0)  # raises ProcessLookupError if it does not exist

    def signal(self, sig: signal.Signals) -> None:
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            log.info("the agent is already gone", agent_pid=self.pid, signal=sig.name)
        except OSError as exc:
            log.error("cannot signal the agent", agent_pid=self.pid, signal=sig.name,
                      error=exc.strerror)


def run_stop_command(command: StopCommand) -> tuple[bool, str]:
    """Run one stop command to its end or its timeout; whether it succeeded, and a
    sentence saying how it went."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        try:
            proc = subprocess.Popen(command.argv, env=dict(command.env), cwd="/",
                                    stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            return False, f"{command.name}: cannot run {command.argv[0]}: {exc.strerror or exc}"
        try:
            rc = proc.wait(command.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False, (f"{command.name}: no end after {command.timeout:g} s, "
                           "its process group was killed")
        elapsed = time.monotonic() - started
        if rc == 0:
            return True, f"{command.name}: stopped in {elapsed:.2f} s"
        output.seek(max(0, output.seek(0, os.SEEK_END) - OUTPUT_TAIL))
        tail = output.read().decode(errors="replace").strip()
        how = f"exit code {rc}" if rc > 0 else f"killed by signal {-rc}"
        said = f": {tail}" if tail else ", without output"
        return False, f"{command.name}: failed ({how}) after {elapsed:.2f} s{said}"


def fire(firing: Firing, agent: Agent, device: Device | None) -> None:
    log.critical(firing.reason, agent_pid=agent.pid)
    if device is not None:
        device.abandon()
    if firing.kill_agent:
        agent.signal(signal.SIGSTOP)  # a thawing agent must not act while its work is undone
    try:
        for command in firing.commands:
            try:
                ok, sentence = run_stop_command(command)
            except Exception as exc:  # one command's trouble must not spare the others
                ok, sentence = False, f"{command.name}: cannot run it: {exc!r}"
            if ok:
                log.info(sentence, resource=command.name)
            else:
                log.error(sentence, resource=command.name)
    finally:
        if firing.kill_agent:
            agent.signal(signal.SIGKILL)
            log.critical("the agent was killed", agent_pid=agent.pid)


def raise_priority() -> str:
    """Real-time priority (not passed on to the stop commands) and memory locked, so that
    neither a CPU hog nor swapping can delay the watchdog; says what it got."""
    got = "normal priority"
    reset_on_fork = getattr(os, "SCHED_RESET_ON_FORK", 0)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_RR | reset_on_fork,
                              os.sched_param(REALTIME_PRIORITY))
        got = f"SCHED_RR priority {REALTIME_PRIORITY}"
    if os.geteuid() == 0:  # unprivileged processes have a small locked-memory limit
        libc_name = ctypes.util.find_library("c")
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(libc_name, use_errno=True)
            if libc.mlockall(1 | 2) == 0:  # MCL_CURRENT | MCL_FUTURE
                got += ", memory locked"
    return got


class _LineReader:
    """Complete lines from a non-blocking file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.eof = False
        self._buffer = b""
        self._skipping = False  # inside a line too long to keep
        os.set_blocking(fd, False)

    def read(self) -> tuple[list[bytes], bool]:
        """The complete lines available now, and whether the input ended."""
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                log.error("cannot read the agent's pipe", error=exc.strerror)
                chunk = b""
            if not chunk:
                self.eof = True
            self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        if self._skipping and lines:
            lines.pop(0)
            self._skipping = False
        if len(self._buffer) > MAX_LINE:
            log.warning("instruction too long: dropped", limit=MAX_LINE)
            self._buffer, self._skipping = b"", True
        return [line for line in lines if line.strip()], self.eof


def run(timer: WatchdogTimer, stdin_fd: int, agent: Agent, device: Device | None,
        clock: Callable[[], float] = time.monotonic) -> int:
    """The watchdog's loop, until it fires or is told goodbye. Returns the exit code."""
    reader = _LineReader(stdin_fd)
    selector = selectors.DefaultSelector()
    selector.register(stdin_fd, selectors.EVENT_READ)
    while True:
        now = clock()
        firing = timer.check(now)
        if firing is not None:
            fire(firing, agent, device)
            return 0
        wait = timer.wait_time(now)
        if wait is None:
            break
        if reader.eof:
            time.sleep(wait)
            continue
        if not selector.select(wait):
            continue
        lines, ended = reader.read()
        now = clock()  # input read after the deadline is late, whenever it was written
        for line in lines:
            try:
                instruction = parse_instruction(line)
            except ValueError as exc:
                log.warning("bad instruction dropped", error=str(exc), line=line[:200])
                continue
            receipt = timer.receive(instruction, now)
            if isinstance(instruction, Pet) and receipt.accepted:
                if device is not None:
                    device.pet()
            elif receipt.accepted:
                log.info(receipt.sentence)
            else:
                log.warning(receipt.sentence)
        if ended:
            selector.unregister(stdin_fd)
            sentence = timer.input_closed(now)
            if not timer.finished:
                log.warning(sentence)
    selector.close()
    if device is not None:
        device.disarm()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hafailover.fencing.watchdog",
        description="Stop this node's resources and the agent when the agent stops petting.")
    parser.add_argument("--timeout", type=float, required=True,
                        help="seconds without a pet before firing")
    parser.add_argument("--agent-pid", type=int, required=True,
                        help="the agent, SIGKILLed when firing with something armed")
    parser.add_argument("--device", help="a kernel watchdog device, e.g. /dev/watchdog")
    parser.add_argument("--log-format", choices=["json", "console"], default="json")
    args = parser.parse_args(argv)
    log_format: LogFormat = args.log_format
    configure_logging(log_format)
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        parser.error("--timeout must be a positive number of seconds")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is for the agent
    priority = raise_priority()
    try:
        agent = Agent(args.agent_pid)
    except ProcessLookupError:
        log.error("the agent does not exist: the watchdog does not start",
                  agent_pid=args.agent_pid)
        return 1
    device = None
    if args.device:
        try:
            device = Device(args.device, args.timeout)
        except OSError as exc:
            log.error("cannot open the watchdog device", device=args.device,
                      error=exc.strerror)
            return 1
    timer = WatchdogTimer(args.timeout, time.monotonic())
    log.info("watchdog started", timeout=args.timeout, agent_pid=args.agent_pid,
             device=args.device, priority=priority)
    return run(timer, sys.stdin.fileno(), agent, device)


if __name__ == "__main__":
    sys.exit(main())
