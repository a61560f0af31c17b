"""Running one agent process: its own session, bounded output, a timeout that kills.

The agent starts in a new session (and so a new process group). Its stdout and stderr
are read concurrently into bounded tail buffers, so an agent writing megabytes never
blocks on a full pipe. At the timeout the whole group gets SIGTERM, then SIGKILL after
``kill_grace`` seconds if anything in it is still alive; the outcome is a timeout with
the elapsed time. A child the agent left behind holding the pipes open (a daemon it
started) does not hold up the result: once the agent itself has exited, the readers
get ``drain_time`` to collect what is buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence

from hafailover.executor.output import DEFAULT_CAP, ExitReasonScanner, TailBuffer
from hafailover.executor.ports import Clock, ProcessOutcome, SystemClock
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


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class SubprocessRunner:
    """The real ``ProcessRunner``: asyncio subprocesses in their own session."""

    def __init__(self, clock: Clock | None = None, *, kill_grace: float = 2.0,
                 output_cap: int = DEFAULT_CAP, drain_time: float = 0.5, cwd: str = "/") -> None:
        self._clock = clock or SystemClock()
        self.kill_grace = kill_grace
        self.output_cap = output_cap
        self.drain_time = drain_time
        self.cwd = cwd

    async def run(self, argv: Sequence[str], env: Mapping[str, str],
                  timeout: float) -> ProcessOutcome:
        clock = self._clock
        started, started_wall = clock.monotonic(), clock.time()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, env=dict(env), cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                start_new_session=True)
        except OSError as exc:
            return ProcessOutcome(rc=None, started=started, finished=clock.monotonic(),
                                  started_wall=started_wall, finished_wall=clock.time(),
                                  spawn_error=f"cannot run {argv[0]}: {exc.strerror or exc}")
        out, err = TailBuffer(self.output_cap), TailBuffer(self.output_cap)
        reasons = ExitReasonScanner()
        assert proc.stdout is not None and proc.stderr is not None
        readers = [asyncio.create_task(self._read(proc.stdout, out, None)),
                   asyncio.create_task(self._read(proc.stderr, err, reasons))]
        timed_out = False
        try:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                timed_out = True
                await self._kill_group(proc)
        except asyncio.CancelledError:
            await asyncio.shield(self._kill_group(proc))
            for reader in readers:
                reader.cancel()
            raise
        finished, finished_wall = clock.monotonic(), clock.time()
        _, pending = await asyncio.wait(readers, timeout=self.drain_time)
        for reader in pending:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        reasons.close()
        rc = proc.returncode
        sig = -rc if rc is not None and rc < 0 else None
        return ProcessOutcome(
            rc=None if timed_out or sig is not None else rc, started=started, finished=finished,
            started_wall=started_wall, finished_wall=finished_wall, timed_out=timed_out,
            signal=None if timed_out else sig, stdout=out.captured(), stderr=err.captured(),
            exit_reason=reasons.reason, pid=proc.pid)

    @staticmethod
    async def _read(stream: asyncio.StreamReader, buffer: TailBuffer,
                    reasons: ExitReasonScanner | None) -> None:
        while True:
            chunk = await stream.read(_READ_SIZE)
            if not chunk:
                return
            buffer.append(chunk)
            if reasons is not None:
                reasons.feed(chunk)

    async def _kill_group(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM the agent's group, SIGKILL whatever is left after the grace time."""
        pgid = proc.pid  # session leader: its pid is the group id
        _signal_group(pgid, signal.SIGTERM)
        deadline = self._clock.monotonic() + self.kill_grace
        while live_group_members(pgid) and self._clock.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if live_group_members(pgid):
            log.warning("agent group survived SIGTERM; sending SIGKILL", pgid=pgid,
                        grace=self.kill_grace)
            _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            await proc.wait()
