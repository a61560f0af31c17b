"""What the coordinator believes runs where, from results and reports (pure)."""

from __future__ import annotations

import pytest

from hafailover.agent.cluster_resources import ClusterResources
from hafailover.config.model import Role
from hafailover.v1 import peer_pb2

pytestmark = pytest.mark.tier0


def result(action: str, status: str, role: str, node: str = "n1") -> peer_pb2.ActionResult:
    return peer_pb2.ActionResult(node=node, resource="web", action=action, status=status,
                                 role=role)


def test_a_successful_start_records_the_role_and_a_stop_forgets_it() -> None:
    resources = ClusterResources()
    resources.update(result("start", "ok", "Started"))
    (instance,) = resources.all()
    assert (instance.node, instance.role, instance.failed) == ("n1", Role.STARTED, False)
    resources.update(result("stop", "ok", "Stopped"))
    assert resources.all() == ()


def test_a_failed_start_leaves_a_failed_instance_that_must_be_stopped() -> None:
    resources = ClusterResources()
    resources.update(result("start", "error", "Stopped"))
    (instance,) = resources.all()
    assert instance.failed and instance.role is Role.STARTED


def test_a_view_acknowledgement_replaces_what_a_node_runs() -> None:
    resources = ClusterResources()
    resources.update(result("start", "ok", "Started", node="n2"))
    resources.replace_node("n2", [peer_pb2.ResourceStatus(resource="db", role="Promoted")])
    assert [(i.resource, i.role) for i in resources.all()] == [("db", Role.PROMOTED)]
    resources.forget("n2")
    assert resources.all() == ()
