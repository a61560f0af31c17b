"""Location rules on node attributes, evaluated the way Pacemaker evaluates them."""

from __future__ import annotations

from collections.abc import Mapping

from hafailover.config.model import Expression, Rule


def node_attributes(name: str, configured: Mapping[str, str],
                    transient: Mapping[str, str]) -> dict[str, str]:
    """Configured attributes, overridden by transient ones, plus ``#uname``."""
    merged = dict(configured)
    merged.update(transient)
    merged["#uname"] = name
    return merged


def _version_key(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _compare(left: str, right: str, kind: str) -> int:
    """-1, 0 or 1; values that do not parse as the type compare as strings."""
    try:
        if kind == "integer":
            a_i, b_i = int(left), int(right)
            return (a_i > b_i) - (a_i < b_i)
        if kind == "number":
            a_f, b_f = float(left), float(right)
            return (a_f > b_f) - (a_f < b_f)
        if kind == "version":
            a_v, b_v = _version_key(left), _version_key(right)
            return (a_v > b_v) - (a_v < b_v)
    except ValueError:
        pass
    return (left > right) - (left < right)


def expression_matches(expr: Expression, attributes: Mapping[str, str]) -> bool:
    value = attributes.get(expr.attribute)
    if expr.operation == "defined":
        return value is not None
    if expr.operation == "not_defined":
        return value is None
    if expr.value is None:
        return False
    # Pacemaker compares an undefined attribute as lower than any value
    cmp = -1 if value is None else _compare(value, expr.value, expr.type)
    return {
        "eq": cmp == 0, "ne": cmp != 0, "lt": cmp < 0, "gt": cmp > 0,
        "lte": cmp <= 0, "gte": cmp >= 0,
    }[expr.operation]


def rule_matches(rule: Rule, attributes: Mapping[str, str]) -> bool:
    results = (expression_matches(e, attributes) for e in rule.expressions)
    return all(results) if rule.boolean_op == "and" else any(results)
