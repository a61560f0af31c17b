"""Tier 2: the compose cluster under seeded chaos (podman or Docker; needs root).

The image is built first by ``scripts/build-image.sh`` (skipped when an image of the
same content exists). ``HAFAILOVER_CHAOS_STEPS`` and ``HAFAILOVER_CHAOS_SEED`` change the
long run; its JSON report goes to ``HAFAILOVER_CHAOS_REPORT`` when set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hafailover.chaos.engine import detect_engine
from hafailover.chaos.harness import ChaosRun, Options
from hafailover.chaos.report import Report

pytestmark = pytest.mark.chaos
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def engine() -> str:
    if os.geteuid() != 0:
        pytest.skip("the compose cluster needs root")
    if not shutil.which("podman") and not shutil.which("docker"):
        pytest.skip("neither podman nor docker is installed")
    name = detect_engine()
    if name == "podman":
        subprocess.run(["bash", str(ROOT / "scripts" / "build-image.sh")], check=True,
                       env=dict(os.environ) | {"ENGINE": "podman"}, stdout=subprocess.DEVNULL)
    return name


def run(engine: str, seed: int, steps: int, duration_s: float) -> Report:
    lines: list[str] = []
    options = Options(COMPOSE, seed=seed, duration_s=duration_s, max_steps=steps,
                      engine=engine, project="hafailover", say=lines.append)
    report = ChaosRun(options).run()
    print("\n".join(lines))
    print(report.to_text())
    destination = os.environ.get("HAFAILOVER_CHAOS_REPORT")
    if destination:
        Path(destination).write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def test_a_node_fault_and_two_at_once_leave_the_vip_answering_and_no_write_lost(
        engine: str) -> None:
    report = run(engine, seed=11, steps=2, duration_s=300)
    assert report.stopped_early is None
    assert [v.message for v in report.violations] == []
    assert report.acknowledged > 0


def test_thirty_seeded_faults_cause_no_violation_and_lose_no_acknowledged_write(
        engine: str) -> None:
    steps = int(os.environ.get("HAFAILOVER_CHAOS_STEPS", "24"))
    seed = int(os.environ.get("HAFAILOVER_CHAOS_SEED", "1"))
    report = run(engine, seed=seed, steps=steps, duration_s=steps * 60)
    assert report.stopped_early is None
    assert report.faults >= min(30, steps)
    assert [v.message for v in report.other_violations] == []
    assert report.lost_writes == 0
