"""The layers are enforced: lint-imports refuses a back-edge into I/O from the pure
core, an import of the command line from below it, and a cycle between packages.

Each case runs the real ``lint-imports`` with the project's contracts on a copy of the
source with one import added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", command, "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("contracts")
    shutil.copytree(ROOT / "src", copy / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def with_import(tree: Path, module: str, statement: str) -> Path:
    path = tree / "src" / Path(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    path.write_text(path.read_text() + f"\n{statement}\n")
    return path


def test_the_contracts_hold_on_the_source(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "statement", "contract"), [
    ("hafailover.core.scheduler", "import hafailover.executor.runner",
     "The pure core reaches no I/O module"),
    ("hafailover.core.assign", "import gc",
     "The pure core reaches no I/O module"),
    ("hafailover.membership.tracker", "import grpc",
     "The pure core reaches no I/O module"),
    ("hafailover.lab.faults", "import hafailover.cli.options",
     "Only the command line and the entry point import the command line"),
    ("hafailover.store", "import hafailover.agent.events",
     "No import cycles between packages, at any depth"),
])
def test_a_back_edge_breaks_its_contract(tree: Path, module: str, statement: str,
                                         contract: str) -> None:
    path = with_import(tree, module, statement)
    original = path.read_text().removesuffix(f"\n{statement}\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout
