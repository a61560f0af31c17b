"""Which devices fence a node, in which order, and what each device's agent is told."""

from __future__ import annotations

import pytest

from hafailover.config.loader import load_config_text
from hafailover.config.model import ClusterConfig, FenceDevice, frozen_map
from hafailover.fencing.topology import (
    agent_params,
    can_fence,
    levels_for,
    parse_host_map,
    plug_for,
)

pytestmark = pytest.mark.tier0

CONFIG = """\
cluster: {name: c}
nodes: [{name: n1}, {name: n2}, {name: n3}]
fencing:
  devices:
    - {id: ipmi-n1, agent: fence_ipmilan, params: {ip: 10.0.1.1}, targets: [n1]}
    - {id: pdu-a, agent: fence_apc, params: {ip: 10.0.2.1, host_map: "n1:3;n2:4"}}
    - {id: pdu-b, agent: fence_apc, params: {ip: 10.0.2.2}, targets: [n1, n2]}
  topology:
    - {target: n1, levels: [[ipmi-n1], [pdu-a, pdu-b]]}
"""


def config() -> ClusterConfig:
    loaded = load_config_text(CONFIG).config
    assert loaded is not None
    return loaded


def ids(levels: list[tuple[FenceDevice, ...]]) -> list[list[str]]:
    return [[d.id for d in level] for level in levels]


def test_a_node_with_topology_gets_its_levels_in_order() -> None:
    assert ids(levels_for(config(), "n1")) == [["ipmi-n1"], ["pdu-a", "pdu-b"]]


def test_a_node_without_topology_gets_each_device_that_can_fence_it_as_a_level() -> None:
    assert ids(levels_for(config(), "n2")) == [["pdu-a"], ["pdu-b"]]
    assert ids(levels_for(config(), "n3")) == [["pdu-a"]]


def test_levels_follow_their_index_not_their_order_in_the_file() -> None:
    cfg = config()
    shuffled = ClusterConfig(name=cfg.name, nodes=cfg.nodes, fence_devices=cfg.fence_devices,
                             fence_topology=tuple(reversed(cfg.fence_topology)))
    assert ids(levels_for(shuffled, "n1")) == [["ipmi-n1"], ["pdu-a", "pdu-b"]]


def test_a_node_no_device_can_fence_cannot_be_fenced() -> None:
    cfg = config()
    only_n1 = ClusterConfig(name=cfg.name, nodes=cfg.nodes,
                            fence_devices=(cfg.fence_devices[0],))
    assert can_fence(cfg, "n3")
    assert not can_fence(only_n1, "n2")
    assert levels_for(only_n1, "n2") == []
    assert not can_fence(ClusterConfig(name="c", nodes=cfg.nodes), "n1")


def test_the_plug_comes_from_host_map_and_defaults_to_the_node_name() -> None:
    pdu_a = config().fence_devices[1]
    assert plug_for(pdu_a, "n1") == "3"
    assert plug_for(pdu_a, "n2") == "4"
    assert plug_for(pdu_a, "n3") == "n3"


def test_host_map_accepts_pacemaker_separators() -> None:
    assert parse_host_map("n1:a; n2=b,n3:c  n4:d") == {"n1": "a", "n2": "b", "n3": "c",
                                                      "n4": "d"}
    assert parse_host_map("") == {}
    assert parse_host_map("garbage;n1:x") == {"n1": "x"}


def test_host_map_is_not_an_agent_parameter() -> None:
    device = FenceDevice("d", "fence_apc", frozen_map({"ip": "10.0.2.1", "host_map": "n1:3"}))
    assert agent_params(device) == {"ip": "10.0.2.1"}
