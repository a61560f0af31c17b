"""A node that leaves (SIGTERM) hands its resources over even when the coordinator changes
in the middle of the hand-over.

The leaving node asks the coordinator of the moment to move its resources away. When a
node with a lower id joins meanwhile, it becomes the coordinator: it must learn that the
node is leaving, and how the actions the old coordinator started there ended, or it
keeps the resources where they are and the leaving node waits until it is killed.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from hafailover.control.client import command
from hafailover.lab.cluster import Lab, LabSpec, holders
from hafailover.v1 import control_pb2

pytestmark = pytest.mark.tier1

RESOURCES = """\
properties: {stonith-enabled: false}
resource-defaults: {resource-stickiness: 100}
resources:
  - group: web
    members:
      - primitive: ip
        agent: ocf:heartbeat:Dummy
      - primitive: slow
        agent: ocf:heartbeat:Delay
        params: {startdelay: "0", stopdelay: "5", mondelay: "0"}
        operations: [{name: stop, timeout: 20s}]
"""


def web_on(lab: Lab, nodes: list[str]) -> str:
    statuses = lab.wait_until(
        lambda s: len(holders(s, "ip")) == 1 and holders(s, "ip") == holders(s, "slow")
        and holders(s, "ip")[0] in nodes, nodes=nodes,
        what=f"ip and slow running together on one of {nodes}", timeout=30)
    return holders(statuses, "ip")[0]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix="tho", subnet=140, extra_yaml=RESOURCES)
    with Lab(spec, tmp_path_factory.mktemp("handover")) as lab, lab.agents_running():
        yield lab


def test_a_leaving_coordinator_replaced_mid_hand_over_still_hands_over(lab: Lab) -> None:
    web_on(lab, list(lab.node_names))
    assert lab.stop("n1") == 0  # n2 coordinates n2 and n3 now
    lab.wait_until(lambda s: all(x is not None and x["view"]["members"] == ["n2", "n3"]
                                 for x in s.values()),
                   nodes=["n2", "n3"], what="the view [n2, n3]", timeout=20)
    reply = command(lab.control_socket("n2"), control_pb2.CommandRequest(
        command="move", resource="web", node="n2"))
    assert reply.ok, reply.message
    web_on(lab, ["n2"])

    pid = lab.pid("n2")
    assert pid is not None
    os.kill(pid, signal.SIGTERM)  # n2 starts moving web away: stopping `slow` takes 5 s
    lab.start("n1")  # meanwhile n1 joins and coordinates: it has the lowest id
    exit_code = lab.stop("n2", timeout=40)

    records = lab.log_records("n2")
    told = [r["event"] for r in records if r.get("kind") == "agent"
            and str(r.get("event", "")).startswith("moving resources away")]
    assert exit_code == 0, f"n2 was killed, not handed over: {told}"
    assert any("the coordinator is now n1" in e for e in told), told
    assert web_on(lab, ["n1", "n3"]) in ("n1", "n3")
    for node in ("n1", "n3"):
        events = [r.get("event", "") for r in lab.log_records(node)]
        assert any("n2 left the cluster cleanly" in e for e in events), node
