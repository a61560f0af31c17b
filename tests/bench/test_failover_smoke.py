"""The failover benchmark runs hafailover and keepalived on a real lab and prints one table
row for each (no timings are checked here: the figures are for people to read)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier1

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "failover.py"


@pytest.mark.skipif(shutil.which("keepalived", path="/usr/sbin:/usr/bin") is None,
                    reason="needs the Debian package keepalived")
def test_failover_bench_prints_a_row_for_hafailover_and_for_keepalived(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "1", "--systems", "hafailover,keepalived",
         "--hog-seconds", "0", "--settle", "1", "--prefix", "tbfo", "--subnet", "127",
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if line.split()[:1] in (["hafailover"], ["keepalived"]) and "%" not in line}
    assert set(rows) == {"hafailover", "keepalived"}, result.stdout
    assert "p50" in result.stdout and "p95" in result.stdout
    figures = json.loads(out.read_text())
    assert [s["system"] for s in figures["systems"]] == ["hafailover", "keepalived"]
    for system in figures["systems"]:
        assert len(system["trials"]) == 1, system
