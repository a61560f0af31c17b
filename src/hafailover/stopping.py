"""Command-line loops that end cleanly on SIGTERM or SIGINT: a harness stops them with
SIGTERM and reads what they print last."""

from __future__ import annotations

import signal
from types import FrameType


class StopOnSignal:
    """``requested`` turns true on SIGTERM or SIGINT (installed when created)."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True
