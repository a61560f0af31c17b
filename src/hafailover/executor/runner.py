"""Running one agent process: its own session, bounded output, a timeout that kills.

The one runner for resource agents (OCF) and fence agents. The agent starts in a new
session (and so a new process group). Its stdout and stderr (or both as one stream,
``merge_output``, as fence agents are read) are read concurrently into bounded tail
buffers, so an agent writing megabytes never blocks on a full pipe; ``stdin`` is written
to it and closed (fence agents read ``key=value`` lines), else it reads /dev/null. At the
timeout the whole group gets SIGTERM, then SIGKILL after ``kill_grace`` seconds if
anything in it is still alive (0: SIGKILL at once); the result waits until nothing of
the group runs, and is a timeout with the elapsed time. A child the agent left behind
holding the pipes open (a daemon it started) does not hold up the result: once the agent
itself has exited, the readers get ``drain_time`` to collect what is buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

from hafailover.executor.output import DEFAULT_CAP, ExitReasonScanner, TailBuffer
from hafailover.executor.ports import (
    Clock,
    Coordinator,
    ExecutorGateway,
    ProcessOutcome,
    SystemClock,
)
from hafailover.log import get_logger

log = get_logger(__name__)

_READ_SIZE = 64 * 1024


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group ``pgid`` that are alive (zombies are dead: not counted)."""
    members: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != b"Z":
            members.append(int(entry))
    return members


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to process group ``pgid``; a group already gone is not an error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def group_gone(pgid: int, timeout: float, *, every: float = 0.01,
                     clock: Clock | None = None) -> bool:
    """Wait, at most ``timeout`` seconds, until no member of group ``pgid`` is alive;
    whether it is gone. Signals are delivered asynchronously: after SIGKILL a member may
    still run for a moment."""
    clock = clock or SystemClock()
    deadline = clock.monotonic() + timeout
    while live_group_members(pgid):
        if clock.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
    return True


class _AgentProtocol(asyncio.SubprocessProtocol):
    """Collects output as it arrives and notes the exit, independently of each other.

    ``asyncio.subprocess.Process.wait`` only returns once the pipes are closed too, which
    a child the agent left running may never do; ``process_exited`` does not wait.
    """

    def __init__(self, cap: int, *, merged: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self.stdout = TailBuffer(cap)
        self.stderr = TailBuffer(cap)
        self.reasons = ExitReasonScanner()
        self.exited: asyncio.Future[None] = loop.create_future()
        self.pipes_closed: asyncio.Future[None] = loop.create_future()
        self._open = {1} if merged else {1, 2}

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            self.stdout.append(data)
        elif fd == 2:
            self.stderr.append(data)
            self.reasons.feed(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self._open.discard(fd)
        if not self._open and not self.pipes_closed.done():
            self.pipes_closed.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


class SubprocessRunner:
    """The real ``ProcessRunner``: asyncio subprocesses in their own session."""

    def __init__(self, clock: Clock | None = None, *, kill_grace: float = 2.0,
                 output_cap: int = DEFAULT_CAP, drain_time: float = 0.5, cwd: str = "/") -> None:
        self._clock = clock or SystemClock()
        self.kill_grace = kill_grace
        self.output_cap = output_cap
        self.drain_time = drain_time
        self.cwd = cwd

    async def run(self, argv: Sequence[str], env: Mapping[str, str], timeout: float, *,
                  stdin: str | None = None, merge_output: bool = False) -> ProcessOutcome:
        """Run ``argv`` to its end or its timeout. ``stdin`` is written to the agent
        (None: it reads /dev/null); ``merge_output`` sends its stderr into stdout, which
        the outcome then holds alone."""
        clock = self._clock
        loop = asyncio.get_running_loop()
        started, started_wall = clock.monotonic(), clock.time()
        protocol = _AgentProtocol(self.output_cap, merged=merge_output)
        try:
            transport, _ = await loop.subprocess_exec(
                lambda: protocol, *argv, env=dict(env), cwd=self.cwd,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
                start_new_session=True)
        except OSError as exc:
            return ProcessOutcome(rc=None, started=started, finished=clock.monotonic(),
                                  started_wall=started_wall, finished_wall=clock.time(),
                                  spawn_error=f"cannot run {argv[0]}: {exc.strerror or exc}")
        pid = transport.get_pid()
        timed_out = False
        try:
            if stdin is not None:
                _write_and_close(transport, stdin)
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(protocol.exited)
            except TimeoutError:
                timed_out = True
                await self._kill_group(pid, protocol.exited)
            finished, finished_wall = clock.monotonic(), clock.time()
            # What the agent wrote before exiting is in the pipes: give it time to arrive.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.drain_time):
                    await asyncio.shield(protocol.pipes_closed)
        except asyncio.CancelledError:
            if not protocol.exited.done():  # a finished agent's children are left alone
                await asyncio.shield(self._kill_group(pid, protocol.exited))
            transport.close()
            raise
        transport.close()
        protocol.reasons.close()
        rc = transport.get_returncode()
        sig = -rc if rc is not None and rc < 0 else None
        return ProcessOutcome(
            rc=None if timed_out or sig is not None else rc, started=started, finished=finished,
            started_wall=started_wall, finished_wall=finished_wall, timed_out=timed_out,
            signal=None if timed_out else sig, stdout=protocol.stdout.captured(),
            stderr=protocol.stderr.captured(), exit_reason=protocol.reasons.reason, pid=pid)

    async def _kill_group(self, pgid: int, exited: asyncio.Future[None]) -> None:
        """SIGTERM the agent's group, SIGKILL whatever is left after the grace time
        (without a grace time, SIGKILL at once).

        The agent is a session leader, so its pid is its process group id.
        """
        if self.kill_grace > 0:
            signal_group(pgid, signal.SIGTERM)
        if not await group_gone(pgid, self.kill_grace, every=0.02, clock=self._clock):
            if self.kill_grace > 0:
                log.warning("agent group survived SIGTERM; sending SIGKILL", pgid=pgid,
                            grace=self.kill_grace)
            signal_group(pgid, signal.SIGKILL)
            # the result must not be reported while a member of the group still runs
            await group_gone(pgid, 5.0, clock=self._clock)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.kill_grace + 5.0):
                await asyncio.shield(exited)


def _write_and_close(transport: asyncio.SubprocessTransport, text: str) -> None:
    """Hand ``text`` to the agent's standard input and close it (a few lines: they fit
    in the pipe's buffer, so this never waits)."""
    pipe = transport.get_pipe_transport(0)
    if isinstance(pipe, asyncio.WriteTransport):
        with contextlib.suppress(OSError):  # the agent may have exited already
            pipe.write(text.encode())
        pipe.close()


def system_gateway(coordinator: Coordinator, *, kill_grace: float = 2.0,
                   output_cap: int = DEFAULT_CAP) -> ExecutorGateway:
    """The executor's real ports: the system clock and real processes."""
    clock = SystemClock()
    runner = SubprocessRunner(clock, kill_grace=kill_grace, output_cap=output_cap)
    return ExecutorGateway(clock=clock, runner=runner, coordinator=coordinator)
