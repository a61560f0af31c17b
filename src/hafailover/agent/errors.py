"""Errors the daemon's parts raise to each other."""

from __future__ import annotations


class ChangeRefusedError(Exception):
    """A state change that cannot be made here and now; the message says why."""
