"""The detection benchmark runs end to end on a real lab and prints its figures (no timings
are checked here: the figures are for people to read)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier1

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "detection.py"


def test_detection_bench_prints_detection_saturation_and_loss_figures(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "2", "--hog-seconds", "3",
         "--loss", "50", "--loss-seconds", "4",
         "--prefix", "tbds", "--subnet", "125", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert "killed n1 (coordinator)" in text
    assert "every survivor holds the new view" in text
    for label in ("all", "coordinator", "member"):
        assert any(line.split()[:1] == [label] and "p50" in line and "p95" in line
                   for line in text.splitlines()), text
    assert "false suspicions:" in text and "max heartbeat lateness" in text
    figures = json.loads(out.read_text())
    assert [t["role"] for t in figures["trials"]] == ["coordinator", "member"]
    assert figures["detection_ms"]["all"]["count"] == 2
    assert set(figures["cpu_saturation"]["nodes"]) == {"n1", "n2", "n3"}
    assert "packet loss: 50 % of n2's packets" in text
    loss = figures["packet_loss"]
    assert (loss["node"], loss["percent"]) == ("n2", 50)
    assert loss["nodes"]["n1"]["probes_sent"] > 0  # at 50 %, n2 is late every second
