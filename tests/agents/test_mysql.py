"""ocf:hafailover:mysql against real MariaDB servers, each in its own network namespace.

Two copies of a promotable clone, node-a (10.231.0.1) and node-b (10.231.0.2), share a
bridge. The tests drive them the way a cluster manager would (start, promote, notify,
demote) and check what a user sees: which copy takes writes, that the other copy gets
them, and that a switch-over loses none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mysql_support import SERVER_OPTIONS, rows, scalar, sql, wait_for_value

from conftest import OcfAgent, OcfResult, require_root_and, wait_for, world_readable_tempdir
from hafailover.lab.netns import Netns, add_bridge, connect, namespace

pytestmark = pytest.mark.tier1
require_root_and("mariadbd", "mariadb", "mariadb-install-db")

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED = 0, 1, 5, 6
OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED, OCF_FAILED_PROMOTED = 7, 8, 9
REPLICATION_PASSWORD = "s3cret'pw\\"  # a quote and a backslash: the agent must escape them
ADDRESSES = {"node-a": "10.231.0.1", "node-b": "10.231.0.2"}
ORDERS = "SELECT COUNT(*) FROM shop.orders"


@dataclass(frozen=True)
class Node:
    name: str
    ns: Netns
    agent: OcfAgent
    socket: str
    pidfile: str

    @property
    def address(self) -> str:
        return ADDRESSES[self.name]

    def notify_promoted(self, promoted: str) -> OcfResult:
        """The post-promote notification a cluster manager sends every copy."""
        return self.agent.run("notify", CRM_meta_notify_type="post",
                              CRM_meta_notify_operation="promote",
                              CRM_meta_notify_promote_uname=promoted)


def server_params(directory: Path, port: int = 3306) -> dict[str, str]:
    run = directory / "run"
    return {
        "datadir": str(directory / "data"),
        "socket": str(run / "mysqld.sock"),
        "pid": str(run / "mysqld.pid"),
        "port": str(port),
        "additional_parameters": SERVER_OPTIONS,
    }


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = world_readable_tempdir("hafailover-mysql-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def network() -> Iterator[dict[str, Netns]]:
    pid = os.getpid()
    with namespace(f"hfms-{pid}") as switch, namespace(f"hfma-{pid}") as ns_a, \
            namespace(f"hfmb-{pid}") as ns_b:
        add_bridge(switch, "br0")
        connect(ns_a, "eth0", switch, "br0", addresses=[f"{ADDRESSES['node-a']}/24"])
        connect(ns_b, "eth0", switch, "br0", addresses=[f"{ADDRESSES['node-b']}/24"])
        yield {"node-a": ns_a, "node-b": ns_b}


@pytest.fixture(scope="module")
def pair(make_agent, network: dict[str, Netns], workdir: Path) -> Iterator[tuple[Node, Node]]:  # type: ignore[no-untyped-def]
    nodes = []
    for name, ns in network.items():
        params = server_params(workdir / name)
        params.update({
            "CRM_meta_promotable": "true",
            "CRM_meta_notify": "true",
            "CRM_meta_on_node": name,
            "replication_user": "repl",
            "replication_password": REPLICATION_PASSWORD,
            "node_addresses": " ".join(f"{n}={a}" for n, a in ADDRESSES.items()),
        })
        agent: OcfAgent = make_agent("mysql", ns, params)
        nodes.append(Node(name, ns, agent, params["socket"], params["pid"]))
    for node in nodes:
        result = node.agent.run("start", timeout=120)
        assert result.rc == OCF_SUCCESS, result
    yield nodes[0], nodes[1]
    for node in nodes:
        node.agent.run("stop")


def order_ids(node: Node) -> list[str]:
    return rows(node.ns, node.socket, "SELECT id FROM shop.orders ORDER BY id")


def test_both_copies_start_as_read_only_replicas(pair: tuple[Node, Node]) -> None:
    for node in pair:
        assert node.agent.run("monitor").rc == OCF_SUCCESS
        assert scalar(node.ns, node.socket, "SELECT @@global.read_only") == "1"


def test_promoted_copy_monitors_as_promoted_and_the_other_as_unpromoted(
        pair: tuple[Node, Node]) -> None:
    a, b = pair
    assert a.agent.run("promote").rc == OCF_SUCCESS
    assert a.notify_promoted("node-a").rc == OCF_SUCCESS
    assert b.notify_promoted("node-a").rc == OCF_SUCCESS
    assert a.agent.run("monitor").rc == OCF_RUNNING_PROMOTED
    assert b.agent.run("monitor").rc == OCF_SUCCESS
    assert scalar(a.ns, a.socket, "SELECT @@global.read_only") == "0"


def test_write_on_the_primary_reaches_the_replica(pair: tuple[Node, Node]) -> None:
    a, b = pair
    sql(a.ns, a.socket, "CREATE DATABASE shop; "
        "CREATE TABLE shop.orders (id INT PRIMARY KEY, placed_on VARCHAR(8)); "
        "INSERT INTO shop.orders VALUES (1, 'node-a')")
    assert wait_for_value(b.ns, b.socket, ORDERS, "1") == "1"


def test_replica_refuses_writes_from_applications(pair: tuple[Node, Node]) -> None:
    a, b = pair
    sql(a.ns, a.socket, "CREATE USER app@localhost IDENTIFIED BY 'app-pw'; "
        "GRANT SELECT, INSERT ON shop.* TO app@localhost")
    assert wait_for_value(b.ns, b.socket,
                          "SELECT COUNT(*) FROM mysql.user WHERE user = 'app'", "1") == "1"
    refused = sql(b.ns, b.socket, "INSERT INTO shop.orders VALUES (99, 'node-b')",
                  user="app", password="app-pw", check=False)
    assert refused.returncode != 0
    assert "read-only" in refused.stderr
    accepted = sql(a.ns, a.socket, "SELECT COUNT(*) FROM shop.orders", user="app",
                   password="app-pw", check=False)
    assert accepted.returncode == 0


def test_switchover_moves_writes_to_the_other_copy_and_loses_none(
        pair: tuple[Node, Node]) -> None:
    a, b = pair
    sql(a.ns, a.socket, "INSERT INTO shop.orders VALUES (2, 'node-a'), (3, 'node-a')")
    # The cluster manager's order: demote the old primary, promote the new, notify all.
    assert a.agent.run("demote").rc == OCF_SUCCESS
    assert b.agent.run("promote").rc == OCF_SUCCESS
    for node in pair:
        assert node.notify_promoted("node-b").rc == OCF_SUCCESS
    assert b.agent.run("monitor").rc == OCF_RUNNING_PROMOTED
    assert a.agent.run("monitor").rc == OCF_SUCCESS

    sql(b.ns, b.socket, "INSERT INTO shop.orders VALUES (4, 'node-b'), (5, 'node-b')")
    assert wait_for_value(a.ns, a.socket, ORDERS, "5") == "5"
    assert order_ids(a) == order_ids(b) == ["1", "2", "3", "4", "5"]
    assert scalar(a.ns, a.socket, "SELECT @@global.read_only") == "1"


def test_stopped_replica_catches_up_after_start(pair: tuple[Node, Node]) -> None:
    a, b = pair
    assert a.agent.run("stop").rc == OCF_SUCCESS
    assert a.agent.run("monitor").rc == OCF_NOT_RUNNING
    sql(b.ns, b.socket, "INSERT INTO shop.orders VALUES (6, 'node-b')")
    assert a.agent.run("start", primary_host=b.address).rc == OCF_SUCCESS
    assert wait_for_value(a.ns, a.socket, ORDERS, "6") == "6"
    assert a.agent.run("monitor").rc == OCF_SUCCESS


def test_killed_server_monitors_as_not_running_and_starts_again(pair: tuple[Node, Node]) -> None:
    a, b = pair
    pid = a.agent.pid_from(a.pidfile)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not Path(f"/proc/{pid}/cmdline").exists()
                    or not Path(f"/proc/{pid}/cmdline").read_bytes(), timeout=10)
    result = a.agent.run("monitor")
    assert result.rc == OCF_NOT_RUNNING, result
    assert a.agent.run("start", primary_host=b.address).rc == OCF_SUCCESS
    sql(b.ns, b.socket, "INSERT INTO shop.orders VALUES (7, 'node-b')")
    assert wait_for_value(a.ns, a.socket, ORDERS, "7") == "7"


def test_hung_primary_monitors_as_failed_promoted(pair: tuple[Node, Node]) -> None:
    _, b = pair
    pid = b.agent.pid_from(b.pidfile)
    os.kill(pid, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        result = b.agent.run("monitor")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.rc == OCF_FAILED_PROMOTED, result
    assert "does not answer" in result.exit_reason
    assert b.agent.run("monitor").rc == OCF_RUNNING_PROMOTED


def test_each_copy_advertises_its_promotion_score(pair: tuple[Node, Node],
                                                   workdir: Path) -> None:
    """Scores go through crm_attribute / crm_master in HA_SBIN_DIR, as with Pacemaker;
    here stand-ins record what they were asked."""
    sbin = workdir / "sbin"
    sbin.mkdir(exist_ok=True)
    for tool in ("crm_attribute", "crm_master"):
        (sbin / tool).write_text('#!/bin/sh\necho "$*" >> "$SCORES"\n')
        (sbin / tool).chmod(0o755)
    scores = {}
    for node in pair:
        record = workdir / f"scores-{node.name}"
        env = {**node.agent.env(), "HA_SBIN_DIR": str(sbin), "SCORES": str(record)}
        node.ns.run([str(node.agent.path), "monitor"], check=False, env=env)
        scores[node.name] = record.read_text().split()
    assert scores["node-a"][-2:] == ["-v", "100"]  # the replica
    assert scores["node-b"][-2:] == ["-v", "1000"]  # the primary


def test_deep_monitor_reads_the_test_table(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    healthy = a.agent.run("monitor").rc
    assert healthy in (OCF_SUCCESS, OCF_RUNNING_PROMOTED)
    deep = a.agent.run("monitor", test_table="mysql.user", OCF_CHECK_LEVEL="10")
    assert deep.rc == healthy, deep
    result = a.agent.run("monitor", test_table="shop.no_such_table", OCF_CHECK_LEVEL="10")
    assert result.rc == OCF_ERR_GENERIC, result
    assert "shop.no_such_table" in result.exit_reason
    # depth 0 does not read it
    assert a.agent.run("monitor", test_table="shop.no_such_table").rc == healthy


def test_failover_after_the_primary_dies_keeps_what_reached_the_replica(
        pair: tuple[Node, Node]) -> None:
    a, b = pair  # node-b is the primary since the switch-over
    sql(b.ns, b.socket, "INSERT INTO shop.orders VALUES (8, 'node-b')")
    assert wait_for_value(a.ns, a.socket, ORDERS, "8") == "8"
    pid = b.agent.pid_from(b.pidfile)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=20)
    assert b.agent.run("monitor").rc == OCF_NOT_RUNNING

    assert a.agent.run("promote").rc == OCF_SUCCESS
    assert a.agent.run("monitor").rc == OCF_RUNNING_PROMOTED
    sql(a.ns, a.socket, "INSERT INTO shop.orders VALUES (9, 'node-a')")
    # The old primary comes back as a replica of the new one.
    assert b.agent.run("start", primary_host=a.address).rc == OCF_SUCCESS
    assert b.agent.run("monitor").rc == OCF_SUCCESS
    assert wait_for_value(b.ns, b.socket, ORDERS, "9") == "9"
    assert order_ids(a) == order_ids(b) == [str(i) for i in range(1, 10)]


def test_promote_of_a_stopped_copy_reports_not_running(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    assert a.agent.run("stop").rc == OCF_SUCCESS
    assert a.agent.run("promote").rc == OCF_NOT_RUNNING
    assert a.agent.run("start").rc == OCF_SUCCESS


def test_start_replaces_a_hung_server(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    hung = a.agent.pid_from(a.pidfile)
    os.kill(hung, signal.SIGSTOP)
    try:
        assert a.agent.run("monitor").rc == OCF_ERR_GENERIC
        # A short operation timeout: the stuck server ignores SIGTERM until it is killed.
        result = a.agent.run("start", timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung, signal.SIGCONT)
    assert result.rc == OCF_SUCCESS, result
    assert a.agent.pid_from(a.pidfile) != hung
    assert a.agent.run("monitor").rc == OCF_SUCCESS
    assert scalar(a.ns, a.socket, ORDERS) == "9"


# Configuration and installation errors: no running server needed.

@pytest.fixture
def spare(make_agent, network: dict[str, Netns], workdir: Path) -> OcfAgent:  # type: ignore[no-untyped-def]
    agent: OcfAgent = make_agent("mysql", network["node-a"], server_params(workdir / "spare", 3307))
    return agent


def test_missing_server_binary_is_reported_as_not_installed(spare: OcfAgent) -> None:
    for action in ("start", "validate-all"):
        result = spare.run(action, binary="/nonexistent/mariadbd")
        assert result.rc == OCF_ERR_INSTALLED, result
        assert "/nonexistent/mariadbd" in result.exit_reason


@pytest.mark.parametrize("interval", ["0", "10000"], ids=["probe", "recurring"])
def test_monitor_without_the_binary_reports_a_stopped_server_as_not_running(
        spare: OcfAgent, interval: str) -> None:
    result = spare.run("monitor", binary="/nonexistent/mariadbd", CRM_meta_interval=interval)
    assert result.rc == OCF_NOT_RUNNING, result


def test_monitor_of_a_running_server_without_the_client_is_not_installed(
        pair: tuple[Node, Node]) -> None:
    a, _ = pair
    result = a.agent.run("monitor", client_binary="/nonexistent/mariadb")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/mariadb" in result.exit_reason


def test_datadir_on_a_file_is_a_configuration_error(spare: OcfAgent, workdir: Path) -> None:
    a_file = workdir / "not-a-directory"
    a_file.write_text("")
    result = spare.run("start", datadir=str(a_file))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "not a directory" in result.exit_reason


def test_unknown_option_in_my_cnf_is_a_configuration_error(spare: OcfAgent,
                                                             workdir: Path) -> None:
    config = workdir / "broken.cnf"
    config.write_text("[mysqld]\nno_such_option = 1\n")
    result = spare.run("start", config=str(config))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "unknown variable 'no_such_option" in result.exit_reason
    assert spare.run("monitor").rc == OCF_NOT_RUNNING


def test_port_in_use_fails_start_with_the_servers_reason(pair: tuple[Node, Node],
                                                        spare: OcfAgent) -> None:
    a, _ = pair
    assert a.agent.run("monitor").rc in (OCF_SUCCESS, OCF_RUNNING_PROMOTED)  # holds 3306
    result = spare.run("start", port="3306")
    assert result.rc == OCF_ERR_GENERIC, result
    assert "3306" in result.exit_reason
    assert spare.run("monitor").rc == OCF_NOT_RUNNING


def test_promotable_clone_without_replication_user_is_a_configuration_error(
        spare: OcfAgent) -> None:
    result = spare.run("validate-all", CRM_meta_promotable="true")
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "replication_user" in result.exit_reason


# A plain (not promotable) resource, and ocf-tester in both modes.

def test_plain_resource_runs_read_write(spare: OcfAgent) -> None:
    assert spare.run("start", timeout=120).rc == OCF_SUCCESS
    try:
        assert spare.run("monitor").rc == OCF_SUCCESS
        assert scalar(spare.ns, spare.params["socket"], "SELECT @@global.read_only") == "0"
    finally:
        assert spare.run("stop").rc == OCF_SUCCESS
    assert spare.run("monitor").rc == OCF_NOT_RUNNING


def test_ocf_tester_passes_as_plain_resource(spare: OcfAgent) -> None:
    result = spare.ocf_tester()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout + result.stderr


def test_ocf_tester_passes_as_promotable_clone(spare: OcfAgent) -> None:
    spare.params.update({"CRM_meta_promotable": "true", "replication_user": "repl",
                         "replication_password": "pw"})
    result = spare.ocf_tester()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout + result.stderr
