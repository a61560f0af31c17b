"""A failure that healed by itself gives the node back after failure-timeout: no cleanup,
and the scheduler runs at that moment rather than at the next event. Meanwhile status and
the events say that the resource has no failover target, and why.

``svc`` prefers n1 and may not run on n3. On n1 its state file is a link into a directory
that does not exist, so its start fails there and n1 is banned; then the link goes, as a
transient fault clears.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from conftest import LogMark, records, wait_formed
from hafailover.lab.cluster import Lab, LabSpec, holders

pytestmark = pytest.mark.tier1

FAILURE_TIMEOUT = 3.0
RESOURCES = f"""\
properties: {{stonith-enabled: false}}
resources:
  - primitive: svc
    agent: ocf:heartbeat:Dummy
    meta: {{failure-timeout: {FAILURE_TIMEOUT:g}s}}
    operations: [{{name: monitor, interval: 1s, timeout: 10s}}]
constraints:
  location:
    - {{resource: svc, node: n1, score: 100}}
    - {{id: never-n3, resource: svc, node: n3, score: -INFINITY}}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix="tfx", subnet=133, extra_yaml=RESOURCES)
    with Lab(spec, tmp_path_factory.mktemp("expiry")) as lab:
        yield lab
        for node in lab.node_names:
            lab.stop(node)


def test_a_node_banned_by_a_transient_start_failure_runs_it_again_without_a_cleanup(
        lab: Lab) -> None:
    lab.resource_tmp("n1").mkdir(parents=True, exist_ok=True)
    broken = lab.resource_tmp("n1") / "Dummy-svc.state"
    broken.unlink(missing_ok=True)
    broken.symlink_to("/nonexistent-hafailover-test/svc.state")
    mark = LogMark.now(lab)
    lab.start_stopped()
    wait_formed(lab)
    statuses = lab.wait_until(
        lambda s: holders(s, "svc") not in ([], ["n1"]) and any(
            f["resource"] == "svc" and f["node"] == "n1"
            for x in s.values() if x is not None and x["cluster_status"] is not None
            for f in x["cluster_status"]["fail_counts"]),
        what="svc failed to start on n1 and runs elsewhere", timeout=30)
    failed_at = time.monotonic()
    assert holders(statuses, "svc") == ["n2"]
    statuses = lab.wait_until(lambda s: any(
        r["resource"] == "svc" and not r["redundant"]
        for x in s.values() if x is not None and x["cluster_status"] is not None
        for r in x["cluster_status"]["redundancy"]), what="svc shown without a target",
        timeout=10)
    entry = next(r for x in statuses.values() if x is not None and x["cluster_status"]
                 for r in x["cluster_status"]["redundancy"] if r["resource"] == "svc")
    assert entry["reason"].startswith("svc: no node can take over if n2 fails: n1: svc failed")
    assert "n3: location never-n3" in entry["reason"]

    broken.unlink()  # the fault clears by itself; nobody runs a cleanup
    statuses = lab.wait_until(
        lambda s: holders(s, "svc") == ["n1"] and all(
            not x["cluster_status"]["fail_counts"]
            for x in s.values() if x is not None and x["cluster_status"] is not None),
        what="svc back on n1 once its failure expired", timeout=FAILURE_TIMEOUT + 15)
    assert time.monotonic() - failed_at >= FAILURE_TIMEOUT - 1.0
    expired = [r for node in lab.node_names for r in records(lab, node, mark, kind="failures")]
    assert expired and "svc on n1" in expired[0]["event"], expired
    assert "failure-timeout 3s" in expired[0]["event"]
    said = [r["event"] for node in lab.node_names
            for r in records(lab, node, mark, kind="redundancy")]
    assert any(e.startswith("svc: no node can take over if n2 fails") for e in said), said
    assert any(e.startswith("redundant again: svc: n2 would take over if n1 fails")
               for e in said), said
