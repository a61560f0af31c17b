"""The replicated cluster state and the agents' defences, with real agents in network
namespaces: no acknowledged change is lost across a partition or a rolling restart, a
damaged state file is recovered from the peers, and nodes or clients without the
cluster's secrets are kept out."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    DEAD_TIME,
    LogMark,
    node_entry,
    present,
    records,
    send,
    wait_formed,
)
from hafailover import settings
from hafailover.lab.cluster import CLIENT, Lab, Statuses
from hafailover.membership.packet import DropReason
from hafailover.security.material import CLUSTER_KEY_BYTES

pytestmark = pytest.mark.tier1

BAD_SIGNATURE = DropReason.BAD_SIGNATURE.value
PEER_PORT = 7405  # the configuration's default peer.port


def same_state(statuses: Statuses) -> bool:
    """Every node answered and holds the same version and digest of the state."""
    states = [s["state"] if s else None for s in statuses.values()]
    return (all(states) and len({(s["version"], s["digest"]) for s in states if s}) == 1)


def state_of(lab: Lab, node: str) -> dict[str, Any]:
    state: dict[str, Any] = lab.status(node)["state"]
    return state


def wait_same_state(lab: Lab, what: str) -> dict[str, dict[str, Any]]:
    statuses = lab.wait_until(same_state, timeout=15, what=what)
    return present(statuses)


def set_attribute(lab: Lab, via: str, command: str, target: str, **fields: Any) -> str:
    reply = send(lab, via, command, target, **fields)
    assert reply.ok, reply.message
    return str(reply.message)


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_no_acknowledged_change_is_lost_across_a_partition(cluster: Lab) -> None:
    cluster.partition(["n1", "n2"], ["n3"])
    wait_formed(cluster, ["n1", "n2"], what="the majority's own view")
    cluster.wait_until(lambda s: all(st and not st["view"]["quorate"] for st in s.values()),
                       nodes=["n3"], what="n3 without quorum")

    refused = send(cluster, "n3", "standby", "n2")
    assert not refused.ok
    assert "quorum" in refused.message, refused.message
    acknowledged = send(cluster, "n2", "standby", "n2")
    assert acknowledged.ok, acknowledged.message
    version = state_of(cluster, "n1")["version"]

    cluster.heal()
    wait_formed(cluster, what="one view after the heal")
    statuses = wait_same_state(cluster, "the same state on every node after the heal")
    for node, status in statuses.items():
        assert status["state"]["version"] == version, node
        assert status["state"]["node_attributes"].get("n2", {}).get("standby") == "on", node
        assert node_entry(status, "n2")["standby"] is True, node
    coordinators = {s["view"]["coordinator"] for s in statuses.values()}
    assert coordinators == {"n1"}


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_a_rolling_restart_keeps_the_cluster_state(cluster: Lab) -> None:
    set_attribute(cluster, "n3", "maintenance", "n1", on=True)
    before = wait_same_state(cluster, "the change stored everywhere")["n1"]["state"]

    for node in cluster.node_names:
        assert cluster.stop(node) == 0, node
        others = [n for n in cluster.node_names if n != node]
        wait_formed(cluster, others, what=f"a view without {node}")
        cluster.start(node)
        wait_formed(cluster, what=f"{node} back after its restart")

    statuses = wait_same_state(cluster, "one state after the rolling restart")
    for node, status in statuses.items():
        assert status["state"]["version"] == before["version"], node
        assert status["state"]["digest"] == before["digest"], node
        assert status["state"]["node_attributes"]["n1"].get("maintenance") == "on", node


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_an_agent_started_with_an_edited_file_says_the_saved_state_runs(
        cluster: Lab, tmp_path: Path) -> None:
    set_attribute(cluster, "n1", "standby", "n2")
    wait_same_state(cluster, "the change stored everywhere")
    edited = tmp_path / "edited.yaml"
    edited.write_text(cluster.config_path.read_text()
                      + "resource-defaults: {resource-stickiness: 7}\n")
    assert cluster.stop("n2") == 0
    mark = LogMark.now(cluster)

    cluster.start("n2", config=edited)
    wait_formed(cluster, what="n2 back after its restart")

    warnings = [r for r in records(cluster, "n2", mark) if r.get("kind") == "config"
                and r.get("level") == "warning" and str(edited) in r["event"]]
    assert warnings and f"hactl config apply {edited}" in warnings[0]["event"], \
        "\n".join(cluster.log_tail("n2"))
    state = cluster.status("n2")["state"]
    assert state["came_from"] in (f"the saved state {cluster.state_dir('n2')}/"
                                  f"{settings.STATE_FILE_NAME}", "received from n1",
                                  "received from n3")
    set_attribute(cluster, "n1", "unstandby", "n2")


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_a_corrupted_state_file_is_set_aside_and_recovered_from_the_peers(
        cluster: Lab) -> None:
    set_attribute(cluster, "n1", "standby", "n3")
    expected = wait_same_state(cluster, "the change stored everywhere")["n1"]["state"]
    state_file = cluster.state_dir("n3") / settings.STATE_FILE_NAME
    assert cluster.stop("n3") == 0
    assert state_file.exists()
    state_file.write_bytes(b"\x00garbage{not json" * 20)
    mark = LogMark.now(cluster)

    cluster.start("n3")
    wait_formed(cluster, what="n3 back after its restart")
    statuses = wait_same_state(cluster, "n3 holds the cluster's state again")

    n3 = statuses["n3"]["state"]
    assert n3["version"] == expected["version"]
    assert n3["digest"] == expected["digest"]
    assert n3["node_attributes"]["n3"].get("standby") == "on"
    assert n3["recovering"] is False
    errors = [r["event"] for r in records(cluster, "n3", mark)
              if r.get("level") == "error" and str(state_file) in r["event"]]
    assert errors, "\n".join(cluster.log_tail("n3"))
    assert list(state_file.parent.glob(f"{state_file.name}.corrupt-*"))
    assert json.loads(state_file.read_text())  # rewritten with the recovered state


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_a_node_with_another_cluster_key_never_joins(cluster: Lab, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(cluster.key_dir, keys)
    key = keys / "cluster.key"
    key.write_bytes(os.urandom(CLUSTER_KEY_BYTES))
    key.chmod(0o600)
    assert cluster.stop("n3") == 0
    wait_formed(cluster, ["n1", "n2"], what="a view without n3")

    cluster.start("n3", key_dir=keys)
    try:
        others = ["n1", "n2"]
        statuses = cluster.wait_until(
            lambda s: all(st and st["heartbeat"]["dropped"].get(BAD_SIGNATURE, 0) > 0
                          for st in s.values()),
            nodes=others, what="heartbeats with a bad signature dropped")
        assert cluster.running("n3")
        deadline = time.monotonic() + 6 * DEAD_TIME
        while time.monotonic() < deadline:
            for node, status in present(statuses).items():
                assert "n3" not in status["view"]["members"], (node, status["view"])
                assert node_entry(status, "n3")["member"] is False
            time.sleep(0.1)
            statuses = cluster.statuses(others)
        assert cluster.running("n3"), "\n".join(cluster.log_tail("n3"))
    finally:
        cluster.stop("n3")


PROBE_SCRIPT = """
import json, sys
from pathlib import Path
import grpc
from hafailover.v1 import peer_pb2, peer_pb2_grpc

target, keys, identity = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
ca = (keys / "ca.crt").read_bytes()
if identity:
    creds = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=(keys / f"{identity}.key").read_bytes(),
        certificate_chain=(keys / f"{identity}.crt").read_bytes())
else:
    creds = grpc.ssl_channel_credentials(root_certificates=ca)
with grpc.secure_channel(target, creds) as channel:
    try:
        reply = peer_pb2_grpc.PeerStub(channel).Probe(
            peer_pb2.ProbeRequest(from_node="n2", view=0), timeout=5)
    except grpc.RpcError as error:
        print(json.dumps({"code": error.code().name, "details": error.details()}))
    else:
        print(json.dumps({"code": "OK", "node": reply.node}))
"""


def probe_from_client(lab: Lab, node: str, identity: str) -> dict[str, Any]:
    target = f"{lab.address(node)}:{PEER_PORT}"
    result = lab.netns(CLIENT).run(
        [sys.executable, "-c", PROBE_SCRIPT, target, str(lab.key_dir), identity])
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_the_peer_port_refuses_a_client_without_a_certificate(cluster: Lab) -> None:
    refused = probe_from_client(cluster, "n1", "")
    assert refused["code"] == "UNAVAILABLE", refused

    answered = probe_from_client(cluster, "n1", "n2")
    assert answered == {"code": "OK", "node": "n1"}
