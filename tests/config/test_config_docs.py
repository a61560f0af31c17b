"""The configuration reference documents every report code the loader can emit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*(ROOT / "src" / "hafailover" / "config" / name
             for name in ("loader.py", "validate.py", "yamlsource.py")),
           ROOT / "src" / "hafailover" / "fencing" / "checks.py"]


def test_every_report_code_is_in_the_configuration_reference() -> None:
    emitted = set()
    for source in SOURCES:
        emitted |= set(re.findall(r'"(CONFIG_[A-Z_]+)"', source.read_text()))
    documented = set(re.findall(r"`(CONFIG_[A-Z_]+)`",
                                (ROOT / "docs" / "configuration.md").read_text()))

    assert emitted - documented == set()
    assert documented - emitted == set()
