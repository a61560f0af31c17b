"""Pausing Python's cyclic garbage collector around one burst of short-lived objects.

A scheduler run allocates many small objects and drops them all at its end; the
collector would only walk them (10-15 % of a run on large clusters). The pure core
does not touch the process's collector itself: its callers that care about the time
(the agent, the benchmark) pause it around the call.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the block, and back as it was (on, unless it was off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
