"""The agent's side of the watchdog: start it, pet it, tell it what to stop, say goodbye.

Every call is cheap and never blocks: the pipe to the watchdog is non-blocking. A pet
that does not fit in the pipe (the watchdog is not reading it) is dropped and counts as
a missed pet, not as a hang of the agent; an ``arm`` is never dropped, but kept and sent
before anything else once the pipe has room. The watchdog's log lines go to the agent's
standard error. The protocol and the watchdog itself: ``hafailover.fencing.watchdog``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence

from hafailover.fencing.watchdog import Arm, Bye, Instruction, Pet, StopCommand, encode
from hafailover.log import LogFormat, get_logger

__all__ = ["StopCommand", "WatchdogClient"]

log = get_logger(__name__)


class WatchdogClient:
    """One watchdog process, started by ``start`` and ended by ``close``."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self.timeout: float | None = None
        self.missed_pets = 0  # pets dropped because the pipe was full
        self._proc: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._pending = bytearray()  # an arm or bye that did not fit in the pipe yet
        self._stalled = False  # the last pet was dropped

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def alive(self) -> bool:
        """The watchdog process is running."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def start(self, timeout: float, agent_pid: int | None = None, device: str | None = None,
              log_format: LogFormat = "json") -> None:
        """Start the watchdog for ``agent_pid`` (this process by default). It fires after
        ``timeout`` seconds without a pet, counted from its start (a fraction of a second
        from now)."""
        if self._proc is not None:
            raise RuntimeError("the watchdog is already started")
        argv = [self.python, "-m", "hafailover.fencing.watchdog", "--timeout", repr(timeout),
                "--agent-pid", str(os.getpid() if agent_pid is None else agent_pid),
                "--log-format", log_format]
        if device is not None:
            argv += ["--device", device]
        # Its own session: a terminal's signals for the agent's group do not reach it.
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      bufsize=0, start_new_session=True, cwd="/")
        assert self._proc.stdin is not None
        self._fd = self._proc.stdin.fileno()
        os.set_blocking(self._fd, False)
        self.timeout = timeout

    def pet(self) -> bool:
        """Postpone the watchdog's deadline by its timeout; whether the pet was sent."""
        sent = self._send(Pet(), droppable=True)
        if sent and self._stalled:
            self._stalled = False
            log.info("the watchdog reads its pipe again", missed_pets=self.missed_pets)
        return sent

    def arm(self, commands: Sequence[StopCommand]) -> bool:
        """The commands the watchdog runs, in order, when it fires (replacing those given
        before; none: nothing to protect, the agent would be left alone). Whether it was
        sent now; if not, it is sent as soon as the pipe has room."""
        return self._send(Arm(tuple(commands)), droppable=False)

    def close(self, timeout: float = 5.0) -> int | None:
        """Say goodbye (the watchdog exits without firing) and wait up to ``timeout``
        seconds for it to exit; one that does not is killed. Returns its exit code."""
        proc = self._proc
        if proc is None:
            return None
        deadline = time.monotonic() + timeout
        self._send(Bye(), droppable=False)
        while self._pending and self._fd is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            select.select([], [self._fd], [], remaining)
            self._flush()
        self._close_pipe()
        try:
            return proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("the watchdog did not exit after its goodbye: killed", pid=proc.pid)
            proc.kill()
            return proc.wait()

    # --- the pipe -------------------------------------------------------------------------

    def _send(self, instruction: Instruction, *, droppable: bool) -> bool:
        if self._fd is None:
            return False
        self._flush()
        if self._pending and droppable:
            self._missed()
            return False
        self._pending += encode(instruction)
        self._flush()
        if self._pending and droppable:
            # Only part of the pet fit: the rest goes with the next write, but it is late.
            self._missed()
            return False
        return True

    def _flush(self) -> None:
        while self._pending and self._fd is not None:
            try:
                written = os.write(self._fd, self._pending)
            except BlockingIOError:
                return
            except BrokenPipeError:
                log.error("the watchdog has exited: this node is not protected by it",
                          returncode=self.returncode)
                self._close_pipe()
                return
            del self._pending[:written]

    def _missed(self) -> None:
        self.missed_pets += 1
        if not self._stalled:
            self._stalled = True
            log.warning("the watchdog's pipe is full: pets are missed until it reads again")

    def _close_pipe(self) -> None:
        if self._fd is not None and self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()
        self._fd = None
        self._pending.clear()
