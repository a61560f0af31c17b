"""Small parsers for the values a Pacemaker CIB holds: booleans, durations, roles and
clone instance names, as Pacemaker reads them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hafailover.config.model import Role

_TRUE = frozenset({"true", "on", "yes", "y", "1"})
_FALSE = frozenset({"false", "off", "no", "n", "0"})

ROLE_NAMES: Mapping[str, Role] = {
    "stopped": Role.STOPPED,
    "started": Role.STARTED,
    "promoted": Role.PROMOTED,
    "master": Role.PROMOTED,
    "unpromoted": Role.UNPROMOTED,
    "slave": Role.UNPROMOTED,
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)
_UNITS: Mapping[str, float] = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "ms": 0.001, "msec": 0.001, "msecs": 0.001,
    "us": 0.000001, "usec": 0.000001, "m": 60.0, "min": 60.0, "mins": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0,
}


def parse_bool(text: str | None) -> bool | None:
    """Pacemaker's ``crm_is_true`` / ``crm_str_to_boolean``: None when not a boolean."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def parse_duration(text: str) -> float | None:
    """``10``, ``10s``, ``500ms``, ``5min``, ``1h`` or ISO 8601 ``PT5M`` -> seconds."""
    match = _DURATION.match(text)
    if match:
        unit = match.group(2).lower()
        if unit in _UNITS:
            return float(match.group(1)) * _UNITS[unit]
        return None
    iso = _ISO_DURATION.match(text.strip())
    if iso and any(iso.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    return None


def primitive_id_of(instance_name: str) -> str:
    """``db:0`` (an anonymous clone instance) -> ``db``."""
    return instance_name.split(":", 1)[0]
