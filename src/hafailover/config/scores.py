"""Score arithmetic with Pacemaker's INFINITY rules.

Scores are integers clipped to [-INFINITY, +INFINITY]. -INFINITY wins over everything
(a node that is forbidden stays forbidden, whatever else prefers it); then +INFINITY.
"""

from __future__ import annotations

INFINITY = 1_000_000


def add_scores(a: int, b: int) -> int:
    """Pacemaker's ``pcmk__add_scores``: -INF dominates, then +INF, else clipped sum."""
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return max(-INFINITY, min(INFINITY, a + b))


def clip(score: int) -> int:
    return max(-INFINITY, min(INFINITY, score))


def parse_score(text: str | int) -> int:
    """Parse ``100``, ``-50``, ``INFINITY``, ``+INFINITY``, ``-INFINITY`` (also ``inf``).

    Raises ValueError with a readable message.
    """
    if isinstance(text, bool):
        raise ValueError("a score is an integer or INFINITY, not a boolean")
    if isinstance(text, int):
        return clip(text)
    value = str(text).strip()
    lowered = value.lower()
    if lowered in ("infinity", "+infinity", "inf", "+inf"):
        return INFINITY
    if lowered in ("-infinity", "-inf"):
        return -INFINITY
    try:
        return clip(int(value))
    except ValueError:
        raise ValueError(f"'{value}' is not a score (an integer, INFINITY or -INFINITY)") from None


def format_score(score: int) -> str:
    if score >= INFINITY:
        return "INFINITY"
    if score <= -INFINITY:
        return "-INFINITY"
    return str(score)
