"""Bounded capture of an agent's output, and its ``ocf-exit-reason:`` lines. Pure.

An agent may write megabytes; the runner keeps only the last ``cap`` bytes of each
stream (and counts what it dropped) so memory stays bounded and the agent never blocks
on a full pipe. Exit reasons are picked out as the bytes go by, so a reason survives
even when the part of stderr around it was dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from hafailover.executor.environment import EXIT_REASON_PREFIX

DEFAULT_CAP = 64 * 1024
MAX_REASON = 512  # characters kept of one exit reason
_MAX_LINE = 4096  # a longer line cannot be an exit reason worth keeping whole


@dataclass(frozen=True)
class Captured:
    """The kept tail of one stream."""

    text: str
    total_bytes: int
    dropped_bytes: int

    @property
    def truncated(self) -> bool:
        return self.dropped_bytes > 0

    def describe(self) -> str:
        if not self.truncated:
            return f"{self.total_bytes} bytes"
        return f"{self.total_bytes} bytes, first {self.dropped_bytes} dropped"


EMPTY = Captured("", 0, 0)


class TailBuffer:
    """Keeps the last ``cap`` bytes written to it."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._cap = cap
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._total = 0

    def append(self, data: bytes) -> None:
        if not data:
            return
        self._total += len(data)
        if len(data) >= self._cap:
            self._chunks.clear()
            self._chunks.append(data[-self._cap:])
            self._size = self._cap
            return
        self._chunks.append(data)
        self._size += len(data)
        while self._size - len(self._chunks[0]) >= self._cap:
            self._size -= len(self._chunks.popleft())

    def captured(self) -> Captured:
        data = b"".join(self._chunks)
        if len(data) > self._cap:
            data = data[-self._cap:]
        return Captured(data.decode("utf-8", errors="replace"), self._total,
                        self._total - len(data))


class ExitReasonScanner:
    """Finds ``ocf-exit-reason:`` lines in a byte stream fed in arbitrary chunks.

    The last reason wins (agents write the most specific one last). Only the tail of a
    very long line is kept while looking for its end.
    """

    def __init__(self, prefix: str = EXIT_REASON_PREFIX) -> None:
        self._prefix = prefix.encode()
        self._partial = b""
        self._skipping = False  # inside a line too long to matter
        self.reason: str | None = None

    def feed(self, data: bytes) -> None:
        lines = data.split(b"\n")
        for i, piece in enumerate(lines):
            last = i == len(lines) - 1
            if last:
                if self._skipping:
                    continue
                self._partial += piece
                if len(self._partial) > _MAX_LINE:
                    self._take(self._partial)  # a reason line may be long; keep its start
                    self._partial = b""
                    self._skipping = True
                continue
            if not self._skipping:
                self._take(self._partial + piece)
            self._partial = b""
            self._skipping = False

    def close(self) -> None:
        if self._partial and not self._skipping:
            self._take(self._partial)
        self._partial = b""

    def _take(self, line: bytes) -> None:
        if line.startswith(self._prefix):
            text = line[len(self._prefix):].decode("utf-8", errors="replace").strip()
            if text:
                self.reason = text[:MAX_REASON]


def exit_reason(stderr: str, prefix: str = EXIT_REASON_PREFIX) -> str | None:
    """The last exit reason in a complete stderr text."""
    scanner = ExitReasonScanner(prefix)
    scanner.feed(stderr.encode())
    scanner.close()
    return scanner.reason
