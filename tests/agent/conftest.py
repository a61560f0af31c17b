"""Whole clusters of real agents in network namespaces, shared by the tests of a module.

Three labs, each built once per module and only when a test asks for it:

- ``mcast``: 3 nodes, multicast heartbeats on 2 links;
- ``ucast``: 3 nodes, unicast heartbeats on 1 link;
- ``five``: 5 nodes, multicast heartbeats on 1 link.

A test asks for one with ``@pytest.mark.parametrize("cluster", [...], indirect=True)``.
Before the test every agent of the lab runs and every node holds the same view with
every member; after it, partitions, downed links and packet loss are removed. Agents are
restarted between tests, the namespaces are not rebuilt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hafailover.control.client import command
from hafailover.lab.cluster import Lab, LabSpec, Statuses
from hafailover.v1 import control_pb2

INTERVAL = 0.1  # seconds, the labs' heartbeat interval
DEAD_TIME = 0.5  # seconds, the labs' dead time
FORM_TIMEOUT = 20.0  # seconds for a cluster to (re-)form
PROPERTIES = "properties: {stonith-enabled: false}\n"


@dataclass(frozen=True)
class Shape:
    nodes: int
    links: int
    transport: str
    subnet: int


LAB_SHAPES = {
    "mcast": Shape(nodes=3, links=2, transport="multicast", subnet=70),
    "ucast": Shape(nodes=3, links=1, transport="unicast", subnet=80),
    "five": Shape(nodes=5, links=1, transport="multicast", subnet=90),
}


def _open_lab(name: str, module: str, workdir: Path) -> Iterator[Lab]:
    """A lab for module ``module`` (its own prefix, so modules never share one)."""
    tag = {"test_membership_netns": "m", "test_state_netns": "s"}.get(module, "x")
    shape = LAB_SHAPES[name]
    prefix = f"t{tag}{name[:2]}"
    spec = LabSpec(prefix=prefix, interval=f"{round(INTERVAL * 1000)}ms",
                   dead_time=f"{round(DEAD_TIME * 1000)}ms", extra_yaml=PROPERTIES,
                   subnet=shape.subnet + (5 if tag == "s" else 0), nodes=shape.nodes,
                   links=shape.links, transport=shape.transport)
    with Lab(spec, workdir) as lab, lab.agents_running():
        yield lab


def _module_name(request: pytest.FixtureRequest) -> str:
    return str(request.module.__name__).rsplit(".", 1)[-1]


@pytest.fixture(scope="module")
def mcast_lab(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from _open_lab("mcast", _module_name(request), tmp_path_factory.mktemp("mcast"))


@pytest.fixture(scope="module")
def ucast_lab(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from _open_lab("ucast", _module_name(request), tmp_path_factory.mktemp("ucast"))


@pytest.fixture(scope="module")
def five_lab(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from _open_lab("five", _module_name(request), tmp_path_factory.mktemp("five"))


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The lab named by the parameter, formed with every node; faults removed after."""
    lab: Lab = request.getfixturevalue(f"{request.param}_lab")
    remove_faults(lab)
    lab.start_stopped()
    wait_formed(lab, what="the whole cluster formed before the test")
    yield lab
    remove_faults(lab)


def remove_faults(lab: Lab) -> None:
    lab.heal()
    for node in lab.node_names:
        lab.loss(node, 0)
        lab.power_on(node)  # every link up


# --- what the nodes report ------------------------------------------------------------


def lowest_id(lab: Lab, nodes: Iterable[str]) -> str:
    """Lab nodes are numbered in the configuration's order: n1 has the lowest id."""
    return min(nodes, key=lab.node_names.index)


def one_view(statuses: Statuses, members: Iterable[str]) -> bool:
    """Every answering node of ``statuses`` holds the same view, of exactly ``members``."""
    expected = sorted(members)
    views = [s["view"] if s else None for s in statuses.values()]
    if any(v is None for v in views):
        return False
    return (all(sorted(v["members"]) == expected for v in views if v)
            and len({(v["number"], v["coordinator"]) for v in views if v}) == 1)


def wait_formed(lab: Lab, nodes: Iterable[str] | None = None, *,
                timeout: float = FORM_TIMEOUT, what: str = "") -> Statuses:
    """Wait until ``nodes`` (default: all) hold one view whose members are ``nodes``."""
    names = list(lab.node_names if nodes is None else nodes)
    return lab.wait_until(lambda s: one_view(s, names), nodes=names, timeout=timeout,
                          what=what or f"one view of {', '.join(names)} on each of them")


def present(statuses: Mapping[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """The statuses of the nodes that answered."""
    return {n: s for n, s in statuses.items() if s is not None}


def node_entry(status: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in status["nodes"] if e["name"] == name)
    return entry


def hold(lab: Lab, predicate: Callable[[Statuses], bool], seconds: float, *,
         nodes: Iterable[str] | None = None, what: str = "") -> None:
    """``predicate`` holds on every poll for ``seconds``."""
    names = list(lab.node_names if nodes is None else nodes)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        current = lab.statuses(names)
        assert predicate(current), f"{what or 'the condition'} stopped holding: {current}"
        time.sleep(INTERVAL / 2)


# --- the agents' logs -------------------------------------------------------------------


@dataclass(frozen=True)
class LogMark:
    """How many log records each node had written: to read only the newer ones."""

    counts: dict[str, int]

    @classmethod
    def now(cls, lab: Lab) -> LogMark:
        return cls({n: len(lab.log_records(n)) for n in lab.node_names})

    def since(self, lab: Lab, node: str) -> list[dict[str, Any]]:
        return lab.log_records(node)[self.counts.get(node, 0):]


def records(lab: Lab, node: str, mark: LogMark | None = None, *, kind: str | None = None,
            about: str | None = None) -> list[dict[str, Any]]:
    """The node's log records since ``mark`` of ``kind`` and about node ``about``."""
    found = mark.since(lab, node) if mark else lab.log_records(node)
    return [r for r in found if (kind is None or r.get("kind") == kind)
            and (about is None or r.get("node") == about)]


def wait_for_record(lab: Lab, node: str, mark: LogMark,
                    match: Callable[[dict[str, Any]], bool], *,
                    timeout: float = 10.0, what: str = "") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for record in mark.since(lab, node):
            if match(record):
                return record
        if time.monotonic() >= deadline:
            tail = "\n".join(lab.log_tail(node))
            raise AssertionError(f"{node} did not log {what or 'the record'} within "
                                 f"{timeout}s; end of its log:\n{tail}")
        time.sleep(INTERVAL / 2)


# --- commands ---------------------------------------------------------------------------


def send(lab: Lab, node: str, name: str, target: str, **fields: Any) -> Any:
    """A state-changing command given to ``node``'s agent; its reply."""
    return command(lab.control_socket(node),
                   control_pb2.CommandRequest(command=name, node=target, **fields),
                   timeout=15.0)
