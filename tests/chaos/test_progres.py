"""Tier 2: the reference platform (examples/progres/docker-compose.yml) comes up healthy
and survives losing the active load balancer, the primary database and a storage node,
one at a time, with the service answering through the VIP after each.

The client container stores numbered records through the VIP (haproxy -> varnish ->
tomcat -> MariaDB through the write VIP) and reads every one back after each loss. An
ARP watcher in the client checks throughout that never two nodes answer for either VIP.
The lost node is started again (as an operator powers a fenced machine back on) and the
cluster must be whole again before the next loss.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hafailover.chaos.engine import detect_engine
from hafailover.chaos.harness import CLIENT, ChaosRun, Options

pytestmark = pytest.mark.chaos
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "examples" / "progres" / "docker-compose.yml"
PROJECT = "progres"
VIP, DB_VIP = "10.213.8.100", "10.213.8.101"
SERVICE_BOUND_S = 60.0
HEALTHY_TIMEOUT_S = 300.0

# One request through the VIP from the client: prints {"status", "body", "node"}.
REQUEST = """
import json, sys, urllib.error, urllib.parse, urllib.request
method, path, data = sys.argv[1], sys.argv[2], sys.argv[3]
body = urllib.parse.urlencode(json.loads(data)).encode() if method == "POST" else None
request = urllib.request.Request("http://%s%s" % (sys.argv[4], path), data=body, method=method)
try:
    with urllib.request.urlopen(request, timeout=10) as answer:
        status, text, node = answer.status, answer.read().decode(), answer.headers["X-App-Node"]
except urllib.error.HTTPError as error:
    status, text, node = error.code, error.read().decode(), error.headers["X-App-Node"]
except OSError as error:
    status, text, node = 0, str(error), None
print(json.dumps({"status": status, "body": text.strip(), "node": node}))
"""


def progres_placed(roles: dict[str, dict[str, str]]) -> tuple[bool, str]:
    """Every tier where it belongs: the VIP and haproxy on one load balancer, varnish on
    both, tomcat on both application nodes, one primary and one replica with the write
    VIP on the primary, glusterd on both storage nodes."""
    def on(resource: str, role: str | None = None) -> list[str]:
        return sorted(n for n, r in roles.get(resource, {}).items() if role in (None, r))

    web = on("vip")
    problems = []
    if len(web) != 1 or on("haproxy") != web:
        problems.append(f"vip on {web}, haproxy on {on('haproxy')}")
    for resource, nodes in (("varnish", ["lb1", "lb2"]), ("tomcat", ["app1", "app2"]),
                            ("glusterd", ["storage1", "storage2"]), ("db", ["db1", "db2"])):
        if on(resource) != nodes:
            problems.append(f"{resource} on {on(resource)}")
    primary = on("db", "Promoted")
    if len(primary) != 1 or on("db-vip") != primary:
        problems.append(f"db promoted on {primary}, db-vip on {on('db-vip')}")
    if problems:
        return False, "; ".join(problems)
    return True, f"web on {web[0]}, database primary on {primary[0]}"


@pytest.fixture(scope="module")
def platform() -> Iterator[ChaosRun]:
    if os.geteuid() != 0:
        pytest.skip("the compose cluster needs root")
    if not shutil.which("podman") and not shutil.which("docker"):
        pytest.skip("neither podman nor docker is installed")
    engine = detect_engine()
    if engine == "podman":
        subprocess.run(["bash", str(ROOT / "scripts" / "build-image.sh")],
                       check=True, env=dict(os.environ) | {"ENGINE": "podman"},
                       stdout=subprocess.DEVNULL)
    lines: list[str] = []
    options = Options(COMPOSE, engine=engine, project=PROJECT, placed=progres_placed,
                      say=lines.append)
    run = ChaosRun(options)
    run.engine.start_api_service()
    try:
        run.engine.compose("down", "-v", "-t", "5")
        run.engine.compose("up", "-d")
        ok, after, why = run.wait_healthy(HEALTHY_TIMEOUT_S)
        assert ok, f"the platform did not become healthy in {HEALTHY_TIMEOUT_S:g} s: {why}"
        run.say(f"healthy after {after:.1f} s: {why}")
        run.learn_macs()
        for ip in (VIP, DB_VIP):
            run._stream(["python", "-m", "hafailover.lab.arpwatch", "--ip", ip,
                         "--interface", "eth0", "--every", "0.05"], run.recorder.add_probe)
        yield run
        assert run.recorder.probes > 0
        assert run.recorder.doubled == [], "two nodes answered ARP for a VIP"
    finally:
        run.stop_client()
        if os.environ.get("HAFAILOVER_KEEP") != "1":
            run.engine.compose("down", "-v", "-t", "5")
        run.engine.stop_api_service()
        print("\n".join(lines))


class Service:
    """The platform as its users see it: records through the VIP."""

    def __init__(self, run: ChaosRun) -> None:
        self.run = run
        self.stored: dict[str, str] = {}
        self.count = 0

    def request(self, method: str, path: str, data: dict[str, str] | None = None,
                ) -> dict[str, object]:
        result = self.run.engine.exec(CLIENT, "python", "-c", REQUEST, method, path,
                                      json.dumps(data or {}), VIP, timeout=30, check=False)
        try:
            return dict(json.loads(result.stdout))
        except ValueError:
            return {"status": 0, "body": result.stderr.strip(), "node": None}

    def try_store(self) -> dict[str, object]:
        """Store the next record; remember it when the service acknowledged it."""
        self.count += 1
        record, value = f"r{self.count}", f"value of record {self.count}"
        answer = self.request("POST", "/records", {"id": record, "value": value})
        if answer["status"] == 200:
            self.stored[record] = value
        return answer

    def store_some(self, how_many: int = 5) -> None:
        for _ in range(how_many):
            answer = self.try_store()
            assert answer["status"] == 200, f"storing record {self.count}: {answer}"

    def wait_answering(self, what: str) -> float:
        """Seconds until a record can be stored through the VIP again."""
        started = time.monotonic()
        last: dict[str, object] = {}
        while time.monotonic() - started < SERVICE_BOUND_S:
            last = self.try_store()
            if last["status"] == 200:
                elapsed = time.monotonic() - started
                self.run.say(f"after {what}: a write went through in {elapsed:.1f} s")
                return elapsed
            time.sleep(0.5)
        raise AssertionError(f"after {what}, nothing stored through the VIP in "
                             f"{SERVICE_BOUND_S:g} s: last answer {last}")

    def check_all_readable(self) -> None:
        missing = {}
        for record, value in self.stored.items():
            answer = self.request("GET", f"/records?id={record}")
            if answer["status"] != 200 or answer["body"] != value:
                missing[record] = answer
        assert missing == {}, f"records acknowledged but not read back: {missing}"


def holder(run: ChaosRun, resource: str, role: str = "Started") -> str:
    on = [n for n, r in run.roles(run.status()).get(resource, {}).items() if r == role]
    assert len(on) == 1, f"{resource} ({role}) on {on}"
    return on[0]


def lose(run: ChaosRun, node: str) -> None:
    run.say(f"killing {node}")
    run.engine.cli("kill", "--signal", "KILL", run.engine.container(node))


def recover(run: ChaosRun, node: str) -> None:
    """Start the lost node again and wait for the whole platform."""
    deadline = time.monotonic() + 60
    while run.engine.state(node) == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    run.engine.cli("start", run.engine.container(node), timeout=90)
    ok, after, why = run.wait_healthy(HEALTHY_TIMEOUT_S)
    assert ok, f"not healthy again {HEALTHY_TIMEOUT_S:g} s after {node} came back: {why}"
    run.say(f"{node} back, healthy after {after:.1f} s: {why}")
    run.learn_macs()


def replica_count(run: ChaosRun, node: str) -> int:
    result = run.engine.exec(node, "mariadb", "-N", "-B", "-e",
                             "SELECT COUNT(*) FROM progres.records", check=False)
    return int(result.stdout.strip() or -1) if result.returncode == 0 else -1


def wait_replicated(run: ChaosRun, replica: str, expected: int) -> None:
    deadline = time.monotonic() + 60
    while (seen := replica_count(run, replica)) < expected:
        assert time.monotonic() < deadline, f"{replica} has {seen} of {expected} records"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def service(platform: ChaosRun) -> Service:
    service = Service(platform)
    service.store_some()
    service.check_all_readable()
    return service


def test_the_platform_serves_through_the_vip_from_every_tier(platform: ChaosRun,
                                                            service: Service) -> None:
    nodes = {service.request("GET", "/records")["node"] for _ in range(6)}
    assert nodes == {"app1", "app2"}, "varnish balances over both application servers"
    answer = service.request("GET", "/records?id=none")
    assert answer["status"] == 404
    primary = holder(platform, "db", "Promoted")
    semi_sync = platform.engine.exec(primary, "mariadb", "-N", "-B", "-e",
                                     "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'").stdout
    assert semi_sync.split() == ["Rpl_semi_sync_master_clients", "1"], \
        "the replica acknowledges every commit"
    volume = platform.engine.exec("storage1", "gluster", "--mode=script", "volume", "info",
                                  "gv0").stdout
    assert "Type: Replicate" in volume and "Status: Started" in volume


def test_losing_the_active_load_balancer(platform: ChaosRun, service: Service) -> None:
    active = holder(platform, "vip")
    lose(platform, active)
    service.wait_answering(f"losing the load balancer {active}")
    assert holder(platform, "vip") != active
    service.check_all_readable()
    recover(platform, active)
    service.store_some()
    service.check_all_readable()


def test_losing_the_primary_database(platform: ChaosRun, service: Service) -> None:
    primary = holder(platform, "db", "Promoted")
    replica = next(n for n in ("db1", "db2") if n != primary)
    service.store_some()  # semi-synchronous: acknowledged once the replica has them
    lose(platform, primary)
    service.wait_answering(f"losing the primary database {primary}")
    assert holder(platform, "db", "Promoted") == replica
    service.check_all_readable()
    recover(platform, primary)
    service.store_some()
    wait_replicated(platform, primary, len(service.stored))  # the old primary follows
    service.check_all_readable()


def test_losing_a_storage_node(platform: ChaosRun, service: Service) -> None:
    lost, survivor = "storage1", "storage2"
    lose(platform, lost)
    service.wait_answering(f"losing the storage node {lost}")
    status = platform.engine.exec(survivor, "gluster", "--mode=script", "volume", "status",
                                  "gv0", "detail").stdout
    assert "Online               : Y" in status, status
    assert platform.roles(platform.status()).get("glusterd", {}).get(survivor) == "Started"
    service.check_all_readable()
    recover(platform, lost)
    service.check_all_readable()
