"""A promotable clone of a real OCF agent (ocf:pacemaker:Stateful) is promoted on a real
cluster of agents: the agent sets its promotion score with crm_attribute --promotion (the
executor's stand-in), the node reports it, and the coordinator's scheduler promotes by it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hafailover import settings
from hafailover.lab.cluster import Lab, LabSpec, Statuses

pytestmark = [
    pytest.mark.tier1,
    pytest.mark.skipif(
        not (Path(settings.OCF_ROOT) / "resource.d" / "pacemaker" / "Stateful").is_file(),
        reason="ocf:pacemaker:Stateful is not installed (package pacemaker)"),
]

RESOURCES = """\
properties: {stonith-enabled: false}
resource-defaults: {resource-stickiness: 100}
resources:
  - clone: db-clone
    promotable: true
    clone-max: 3
    promoted-max: 1
    resource:
      primitive: db
      agent: ocf:pacemaker:Stateful
      operations:
        - {name: monitor, interval: 1s, timeout: 10s, role: Promoted}
        - {name: monitor, interval: 2s, timeout: 10s, role: Unpromoted}
"""


def roles(statuses: Statuses) -> dict[str, str]:
    """node -> the role of its copy of db, as the node itself reports it."""
    out = {}
    for node, status in statuses.items():
        if status is None:
            continue
        for resource in status["resources"]["local"]:
            if resource["resource"] == "db" and not resource["failed"]:
                out[node] = resource["role"]
    return out


def promoted(statuses: Statuses) -> list[str]:
    return sorted(node for node, role in roles(statuses).items() if role == "Promoted")


def coordinator_roles(statuses: Statuses) -> dict[str, str]:
    """node -> the role of db there, as the coordinator knows it (any node's view)."""
    for status in statuses.values():
        if status is not None and status.get("cluster_status"):
            return {r["node"]: r["role"] for r in status["cluster_status"]["resources"]
                    if r["resource"] == "db" and not r["failed"]}
    return {}


def one_promoted(lab: Lab, nodes: list[str], timeout: float = 20) -> Statuses:
    """Wait until ``nodes`` run db, one Promoted and the others Unpromoted, and the
    coordinator agrees."""
    def check(statuses: Statuses) -> bool:
        seen = roles(statuses)
        return (sorted(seen) == sorted(nodes)
                and sorted(seen.values()) == ["Promoted"] + ["Unpromoted"] * (len(nodes) - 1)
                and coordinator_roles(statuses) == seen)
    return lab.wait_until(check, nodes=nodes, timeout=timeout,
                          what=f"db on {nodes}: one copy Promoted, the others Unpromoted")


def executed(lab: Lab, node: str, action: str) -> list[dict[str, object]]:
    """The executor's records of ``action`` on the node's copy of db (``db:N``), ok."""
    return [r for r in lab.log_records(node)
            if r.get("action") == action and str(r.get("resource", "")).startswith("db:")
            and r.get("rc") == 0 and "duration" in r]


def when(record: dict[str, object]) -> float:
    return datetime.fromisoformat(str(record["timestamp"])).timestamp()


class Watch:
    """Polls the statuses in the background and keeps every observation."""

    def __init__(self, lab: Lab, nodes: list[str]) -> None:
        self.lab = lab
        self.nodes = nodes
        self.seen: list[dict[str, str]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            # the coordinator's view is one consistent snapshot (each node's own is not:
            # the nodes are asked one after the other)
            self.seen.append(coordinator_roles(self.lab.statuses(self.nodes, timeout=0.5)))
            self.done.wait(0.05)

    def __enter__(self) -> Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix="tprm", subnet=194, extra_yaml=RESOURCES)
    with Lab(spec, tmp_path_factory.mktemp("promotion")) as lab, lab.agents_running():
        yield lab


@pytest.fixture()
def cluster(lab: Lab) -> Lab:
    lab.heal()
    lab.start_stopped()
    # A promote that hangs is given up at its timeout + 10 s (30 s) and scheduled again:
    # the test waits for that recovery; the run's summary lists any overdue action.
    one_promoted(lab, list(lab.node_names), timeout=45)
    return lab


def test_one_copy_is_promoted_by_the_score_its_agent_set(cluster: Lab) -> None:
    statuses = one_promoted(cluster, list(cluster.node_names))
    (holder,) = promoted(statuses)
    for node in cluster.node_names:
        # the agent's own score, kept by the crm_attribute stand-in (Stateful: 10 / 5)
        score = (cluster.run_dir(node) / "attributes" / "master-db").read_text().strip()
        assert score == ("10" if node == holder else "5"), node
    assert executed(cluster, holder, "promote")


def test_a_promoted_node_leaving_hands_the_promotion_to_another_copy(cluster: Lab) -> None:
    holder, = promoted(one_promoted(cluster, list(cluster.node_names)))
    survivors = [n for n in cluster.node_names if n != holder]

    with Watch(cluster, list(cluster.node_names)) as watch:
        assert cluster.stop(holder) == 0
        statuses = one_promoted(cluster, survivors)
    (successor,) = promoted(statuses)
    assert successor in survivors
    assert watch.seen, "no status observed while the promoted node left"
    doubles = [seen for seen in watch.seen
               if sum(role == "Promoted" for role in seen.values()) > 1]
    assert not doubles, f"two copies promoted at once: {doubles[:3]}"
    last = [r["action"] for r in cluster.log_records(holder)
            if r.get("action") in ("demote", "stop") and r.get("rc") == 0
            and str(r.get("resource", "")).startswith("db:")]
    assert last[-2:] == ["demote", "stop"]
    # the successor's promote began only once the holder's demote had finished
    demoted = when(executed(cluster, holder, "demote")[-1])
    promote = executed(cluster, successor, "promote")[-1]
    assert when(promote) - float(str(promote["duration"])) >= demoted - 0.01

    cluster.start(holder)
    statuses = one_promoted(cluster, list(cluster.node_names))
    # stickiness keeps the promotion where it went: the node back runs an unpromoted copy
    assert roles(statuses)[holder] == "Unpromoted"
    assert promoted(statuses) == [successor]
    score = (cluster.run_dir(holder) / "attributes" / "master-db").read_text().strip()
    assert score == "5"
