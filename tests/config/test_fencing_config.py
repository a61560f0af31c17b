"""The fencing part of the configuration: topology, delays, the watchdog and their rules."""

from __future__ import annotations

import pytest

from hafailover.config.dump import dump_config
from hafailover.config.loader import load_config_text
from hafailover.config.model import TWO_NODE_FENCE_RACE_DELAY, FenceLevel

pytestmark = pytest.mark.tier0

BASE = """\
cluster: {name: c}
nodes: [{name: n1}, {name: n2}, {name: n3}]
"""


def codes(text: str) -> set[tuple[str, str | None]]:
    return {(r.code, r.path) for r in load_config_text(BASE + text, "c.yaml").reports}


def test_topology_levels_are_read_in_order_and_survive_a_dump() -> None:
    text = BASE + """\
fencing:
  devices:
    - {id: ipmi-n1, agent: fence_ipmilan, targets: [n1]}
    - {id: pdu-a, agent: fence_apc}
    - {id: pdu-b, agent: fence_apc}
  topology:
    - {target: n1, levels: [[ipmi-n1], [pdu-a, pdu-b]]}
properties: {priority-fencing-delay: 5s, watchdog-timeout: 10s}
"""
    config = load_config_text(text).config
    assert config is not None
    assert config.fence_topology == (FenceLevel("n1", 1, ("ipmi-n1",)),
                                     FenceLevel("n1", 2, ("pdu-a", "pdu-b")))
    assert config.properties.priority_fencing_delay == 5.0
    assert config.properties.watchdog_timeout == 10.0
    assert load_config_text(dump_config(config)).config == config


def test_a_level_naming_an_unknown_device_or_one_that_cannot_fence_the_target() -> None:
    found = codes("""\
fencing:
  devices:
    - {id: ipmi-n2, agent: fence_ipmilan, targets: [n2]}
  topology:
    - {target: n1, levels: [[ipmi-n3], [ipmi-n2]]}
""")
    assert ("CONFIG_UNKNOWN_DEVICE", "fencing.topology[0].levels[0][0]") in found
    assert ("CONFIG_VALUE", "fencing.topology[0].levels[1][0]") in found


def test_a_topology_for_an_unknown_node_is_an_error() -> None:
    found = codes("""\
fencing:
  devices: [{id: d, agent: fence_lab}]
  topology: [{target: n9, levels: [[d]]}]
""")
    assert ("CONFIG_UNKNOWN_NODE", "fencing.topology[0].target") in found


def test_a_watchdog_shorter_than_a_second_or_five_intervals_is_refused() -> None:
    assert ("CONFIG_TIMING", "properties.watchdog-timeout") in codes(
        "properties: {watchdog-timeout: 300ms}\n")
    assert ("CONFIG_TIMING", "properties.watchdog-timeout") not in codes(
        "properties: {watchdog-timeout: 2s}\n")


def test_self_fencing_replaces_the_warning_about_missing_devices() -> None:
    assert any(c == "CONFIG_NO_FENCE_DEVICES" for c, _ in codes(""))
    assert not any(c == "CONFIG_NO_FENCE_DEVICES"
                   for c, _ in codes("properties: {watchdog-timeout: 5s}\n"))


def test_a_two_node_cluster_with_devices_and_no_delay_is_warned_about_fence_races() -> None:
    pair = """\
cluster: {name: pair}
nodes: [{name: a}, {name: b}]
quorum: {two-node: true}
fencing: {devices: [{id: d, agent: fence_lab}]}
"""
    undelayed = load_config_text(pair + "properties: {priority-fencing-delay: 0s}\n").reports
    assert any(r.code == "CONFIG_FENCE_RACE" for r in undelayed)
    delayed = load_config_text(pair + "properties: {priority-fencing-delay: 5s}\n").reports
    assert not any(r.code == "CONFIG_FENCE_RACE" for r in delayed)
    defaulted = load_config_text(pair)
    assert not any(r.code == "CONFIG_FENCE_RACE" for r in defaulted.reports)
    assert defaulted.config is not None
    assert defaulted.config.properties.priority_fencing_delay == TWO_NODE_FENCE_RACE_DELAY
