"""Typed report items: every problem hafailover finds is one of these.

Problems are collected, never raised one at a time, and rendered as text for people or
as JSON for machines. Modelled on pcs ``ReportItem``: a stable ``code`` for scripts,
a ``severity``, and a payload with the facts (file, line, key path, what was found,
what is allowed, a suggestion).
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hafailover.report_codes import Code


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Report:
    """One problem, with everything a person needs to fix it."""

    code: Code
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    found: str | None = None
    allowed: str | None = None
    hint: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def as_text(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        text = f"{where}{self.severity.value}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.found is not None:
            text += f" (found: {self.found})"
        if self.allowed is not None:
            text += f"; allowed: {self.allowed}"
        if self.hint:
            text += f"; {self.hint}"
        text += f" [{self.code}]"
        return text

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "severity": self.severity.value,
                                "message": self.message}
        for key in ("file", "line", "path", "found", "allowed", "hint"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.payload:
            data["payload"] = self.payload
        return data


def errors(reports: Iterable[Report]) -> list[Report]:
    return [r for r in reports if r.severity is Severity.ERROR]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean X?" hint for a misspelt key or name, or None."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


class ReportedError(Exception):
    """Raised at an I/O boundary when collected reports contain errors."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self.reports = list(reports)
        super().__init__("\n".join(r.as_text() for r in self.reports))
