"""Every report code is declared once, in the registry, and listed in the docs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hafailover.report_codes import Code, markdown_table

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "hafailover"


def test_the_docs_list_every_code_with_its_meaning() -> None:
    page = (ROOT / "docs" / "report-codes.md").read_text()
    assert page.endswith(markdown_table()), (
        "docs/report-codes.md is not the registry's table: regenerate it as the page says")


def test_a_code_is_its_own_name_and_says_what_it_means() -> None:
    for code in Code:
        assert code.value == code.name
        assert code.meaning and not code.meaning.endswith(".")


REPORTING = {"Report", "report", "error", "unsupported", "_error", "_warning"}


def test_every_report_is_made_with_a_registered_code_not_a_string() -> None:
    bare = []
    for path in SOURCE.rglob("*.py"):
        if "v1" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if name not in REPORTING or receiver in ("log", "parser"):  # logging, argparse
                continue
            given = [kw.value for kw in node.keywords if kw.arg == "code"] + node.args[:1]
            bare += [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(arg)}"
                     for arg in given if isinstance(arg, ast.Constant | ast.JoinedStr)]
    assert not bare, "use Code.X from hafailover.report_codes:\n" + "\n".join(bare)


def test_every_code_the_source_names_is_registered() -> None:
    used = set()
    for path in SOURCE.rglob("*.py"):
        used |= set(re.findall(r"\bCode\.([A-Z][A-Z0-9_]+)\b", path.read_text()))
    assert used <= {code.name for code in Code}
