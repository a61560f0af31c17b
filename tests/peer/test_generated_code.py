"""The committed gRPC code is exactly what proto/ generates: CI fails when it is stale."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).parents[2]


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-proto.sh"), str(tmp_path)],
                   check=True, cwd=ROOT)
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "hafailover" / "v1").iterdir()}
    committed = {p.name: p.read_bytes()
                 for p in (ROOT / "src" / "hafailover" / "v1").iterdir() if p.is_file()
                 and p.suffix in (".py", ".pyi")}
    stale = sorted(name for name in fresh if committed.get(name) != fresh[name])
    assert not stale, f"regenerate with scripts/gen-proto.sh: {stale} differ from proto/"
    assert set(committed) == set(fresh)
