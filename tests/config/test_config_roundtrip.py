"""dump_config writes files that load back to the same model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.strategies import cluster_inputs
from hafailover.config import dump_config, load_config, load_config_text, parse_duration
from hafailover.config.model import Clone, ClusterConfig
from hafailover.config.values import format_duration
from hafailover.core.state import ClusterState
from hafailover.reports import Severity

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "examples" / "demo" / "cluster.yaml",
         Path(__file__).parent / "fixtures" / "full.yaml"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_dumped_configuration_loads_back_to_an_equal_model(path: Path) -> None:
    config = load_config(path)

    again = load_config_text(dump_config(config), "dumped.yaml")

    assert again.config == config
    assert [r.code for r in again.reports] == [
        r.code for r in load_config_text(path.read_text()).reports]


def test_dump_uses_the_documented_kebab_case_keys() -> None:
    text = dump_config(load_config(FILES[1]))

    for key in ("dead-time", "resource-defaults", "migration-threshold", "clone-max",
                "first-action", "with-role", "promotable"):
        assert f"{key}:" in text
    assert "_" not in text.split("resources:")[0].replace("prod-db", "")


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_every_duration_survives_format_and_parse(seconds: float) -> None:
    text = format_duration(seconds)

    assert parse_duration(text) == seconds


def promoted_within_clone_max(config: ClusterConfig) -> bool:
    return all(not isinstance(r, Clone) or r.clone_max is None or not r.promotable
               or r.promoted_max <= r.clone_max for r in config.resources)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cluster_inputs())
def test_generated_valid_models_survive_dump_and_load(
        inputs: tuple[ClusterConfig, ClusterState]) -> None:
    config, _state = inputs
    assume(promoted_within_clone_max(config))  # the loader refuses promoted-max > clone-max

    result = load_config_text(dump_config(config))

    assert [r.as_text() for r in result.reports if r.severity is Severity.ERROR] == []
    assert result.config == config
