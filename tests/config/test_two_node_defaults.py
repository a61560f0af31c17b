"""A cluster of two nodes works as one: two-node quorum and a fence-race delay by default,
said by the loader, refused only when the file says so."""

from __future__ import annotations

import pytest

from hafailover.config import dump_config, load_config_text
from hafailover.config.model import TWO_NODE_FENCE_RACE_DELAY, ClusterConfig
from hafailover.reports import Severity

pytestmark = pytest.mark.tier0

PAIR = "cluster: {name: pair}\nnodes: [{name: a}, {name: b}]\n"
TRIO = "cluster: {name: trio}\nnodes: [{name: a}, {name: b}, {name: c}]\n"


def loaded(text: str) -> ClusterConfig:
    result = load_config_text(text)
    assert result.config is not None, [r.as_text() for r in result.reports]
    return result.config


def test_two_nodes_get_two_node_quorum_wait_for_all_and_a_fence_race_delay() -> None:
    result = load_config_text(PAIR)
    config = loaded(PAIR)
    assert config.quorum.two_node and config.quorum.wait_for_all
    assert config.properties.priority_fencing_delay == TWO_NODE_FENCE_RACE_DELAY
    said = [r for r in result.reports if r.code == "CONFIG_TWO_NODE_DEFAULTS"]
    assert {r.path for r in said} == {"quorum.two-node", "properties.priority-fencing-delay"}
    assert all(r.severity is Severity.INFO for r in said)
    assert "two-node: false" in next(r.hint for r in said if r.path == "quorum.two-node")


def test_a_file_that_refuses_two_node_keeps_majority_quorum_and_no_delay() -> None:
    config = loaded(PAIR + "quorum: {two-node: false}\n")
    assert not config.quorum.two_node and not config.quorum.wait_for_all
    assert config.properties.priority_fencing_delay == 0
    assert not any(r.code == "CONFIG_TWO_NODE_DEFAULTS"
                   for r in load_config_text(PAIR + "quorum: {two-node: false}\n").reports)


def test_a_pair_without_fencing_needs_no_fence_race_delay() -> None:
    config = loaded(PAIR + "properties: {stonith-enabled: false}\n")
    assert config.quorum.two_node
    assert config.properties.priority_fencing_delay == 0


def test_a_delay_the_file_gives_is_kept_and_not_explained() -> None:
    text = PAIR + "properties: {priority-fencing-delay: 2s}\n"
    assert loaded(text).properties.priority_fencing_delay == 2
    reports = load_config_text(text).reports
    assert [r.path for r in reports if r.code == "CONFIG_TWO_NODE_DEFAULTS"] == [
        "quorum.two-node"]


def test_three_nodes_keep_majority_quorum() -> None:
    config = loaded(TRIO)
    assert not config.quorum.two_node
    assert config.properties.priority_fencing_delay == 0
    assert not any(r.code == "CONFIG_TWO_NODE_DEFAULTS" for r in load_config_text(TRIO).reports)


@pytest.mark.parametrize("text", [PAIR, PAIR + "quorum: {two-node: false}\n",
                                  PAIR + "properties: {priority-fencing-delay: 0s}\n",
                                  TRIO, TRIO + "properties: {priority-fencing-delay: 3s}\n"])
def test_a_dumped_configuration_loads_back_to_the_same_choice(text: str) -> None:
    config = loaded(text)
    assert loaded(dump_config(config)) == config
