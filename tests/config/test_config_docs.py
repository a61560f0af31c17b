"""The configuration reference documents every report code the loader can emit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hafailover.report_codes import Code

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*(ROOT / "src" / "hafailover" / "config" / name
             for name in ("loader.py", "validate.py", "yamlsource.py")),
           ROOT / "src" / "hafailover" / "fencing" / "checks.py"]


def test_every_registered_code_is_reported_somewhere_and_the_config_codes_are_documented(
        ) -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "src" / "hafailover").rglob("*.py"))
    emitted = set(re.findall(r"\bCode\.([A-Z][A-Z0-9_]+)\b", source))
    emitted |= {code.name for code in Code if code.name.startswith(("PCMK_UNSUPPORTED_",
                                                                    "CIB_", "STATE_UNREADABLE"))}
    assert {code.name for code in Code} - emitted == set(), "registered but never reported"
    from_config = set()
    for path in SOURCES:
        from_config |= set(re.findall(r"\bCode\.(CONFIG_[A-Z_]+)\b", path.read_text()))
    documented = set(re.findall(r"`(CONFIG_[A-Z_]+)`",
                                (ROOT / "docs" / "report-codes.md").read_text()))
    assert from_config - documented == set()


