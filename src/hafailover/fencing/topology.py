"""Which devices fence a node, in which order, and what each is told. Pure.

A node with topology levels is fenced level by level (a level succeeds only when every
one of its devices does); a node without is fenced by each device that can fence it,
one at a time in configuration order, each device making a level of its own.
"""

from __future__ import annotations

import re

from hafailover.config.model import ClusterConfig, FenceDevice

HOST_MAP = "host_map"  # a device parameter read here, never passed to the agent


def parse_host_map(text: str) -> dict[str, str]:
    """``n1:plug1;n2:plug2`` as a mapping; ``,``, spaces and ``=`` are accepted too, as
    in Pacemaker's ``pcmk_host_map``. Entries without a separator are ignored."""
    mapping: dict[str, str] = {}
    for entry in re.split(r"[;,\s]+", text.strip()):
        node, sep, plug = entry.partition(":")
        if not sep:
            node, sep, plug = entry.partition("=")
        if sep and node and plug:
            mapping[node] = plug
    return mapping


def plug_for(device: FenceDevice, target: str) -> str:
    """The plug (port, outlet, VM or container name) the device knows ``target`` by."""
    return parse_host_map(device.params.get(HOST_MAP, "")).get(target, target)


def agent_params(device: FenceDevice) -> dict[str, str]:
    """The parameters given to the agent on its standard input."""
    return {k: v for k, v in device.params.items() if k != HOST_MAP}


def device_targets(device: FenceDevice, target: str) -> bool:
    """Whether the device can fence ``target`` (no targets means every node)."""
    return not device.targets or target in device.targets


def levels_for(config: ClusterConfig, target: str) -> list[tuple[FenceDevice, ...]]:
    """The levels to try, first to last, each the devices that must all succeed."""
    by_id = {d.id: d for d in config.fence_devices}
    topology = sorted((lv for lv in config.fence_topology if lv.target == target),
                      key=lambda lv: lv.index)
    if topology:
        levels = []
        for level in topology:
            devices = tuple(by_id[name] for name in level.devices if name in by_id)
            if devices:
                levels.append(devices)
        return levels
    return [(d,) for d in config.fence_devices if device_targets(d, target)]


def can_fence(config: ClusterConfig, target: str) -> bool:
    return bool(levels_for(config, target))
