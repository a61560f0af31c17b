"""The running cluster as the scheduler's inputs, from an agent's status document and
the running configuration text: what ``hactl simulate`` without a file works from, and
how ``hactl config apply`` says what a new configuration will do. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hafailover.config.loader import load_config_text
from hafailover.config.model import ClusterConfig, Location, Role, frozen_map
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance
from hafailover.report_codes import Code
from hafailover.reports import Report, ReportedError, Severity, errors
from hafailover.store import document as doc_ops
from hafailover.store.document import MAINTENANCE, STANDBY, Document, Version

_ON = ("on", "true", "yes", "1")


def live_config(status: Mapping[str, Any], config_text: str,
                filename: str = "the running configuration") -> ClusterConfig:
    """The configuration as the coordinator schedules with it: the text with the
    overrides made by commands (target roles, cluster-wide maintenance)."""
    result = load_config_text(config_text, filename)
    if result.config is None or errors(result.reports):
        raise ReportedError(result.reports)
    overrides = (status.get("cluster_status") or {}).get("overrides") or {}
    document = Document(version=Version(), config_yaml=config_text,
                        resource_meta=overrides.get("resource_meta") or {},
                        cluster_properties=overrides.get("cluster_properties") or {})
    return doc_ops.effective_config(result.config, document)


def live_state(status: Mapping[str, Any], config: ClusterConfig, now: float) -> ClusterState:
    """Membership from the node's view, everything else from the coordinator's part."""
    cluster = status.get("cluster_status")
    if cluster is None:
        reason = status.get("cluster_status_error") or "the cluster has no coordinator"
        raise ReportedError([Report(
            code=Code.NO_CLUSTER_STATUS, severity=Severity.ERROR,
            message=f"the coordinator's view of the resources is unavailable: {reason}",
            hint="retry once 'hactl status' shows a coordinator")])
    entries = {n["name"]: n for n in status["nodes"]}
    attributes = status["state"].get("node_attributes") or {}
    nodes = []
    for node in config.nodes:
        entry = entries.get(node.name, {})
        attrs = attributes.get(node.name, {})
        nodes.append(NodeState(
            name=node.name, online=bool(entry.get("member")),
            unclean=entry.get("state") == "lost",
            standby=str(attrs.get(STANDBY, "")).lower() in _ON,
            maintenance=str(attrs.get(MAINTENANCE, "")).lower() in _ON,
            attributes=frozen_map({k: str(v) for k, v in attrs.items()
                                   if k not in (STANDBY, MAINTENANCE)})))
    resources = tuple(
        ResourceInstance(resource=r["resource"], node=r["node"], role=Role(r["role"]),
                         failed=bool(r["failed"]), blocked=bool(r["blocked"]))
        for r in cluster["resources"])
    failures = tuple(FailCount(f["resource"], f["node"], int(f["count"]),
                               float(f["last_failure"])) for f in cluster["fail_counts"])
    locations = tuple(
        Location(id=c["id"], resource=c["resource"], score=int(c["score"]), node=c["node"])
        for c in cluster["constraints"] if c.get("expires") is None or c["expires"] > now)
    return ClusterState(nodes=tuple(nodes), resources=resources, failures=failures,
                        quorate=bool(status["view"]["quorate"]), now=now,
                        runtime_locations=locations)
