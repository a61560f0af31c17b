"""The files a compose node writes for itself, and the record store's storage."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from hafailover.chaos.harness import ClusterShape
from hafailover.config.loader import load_config_text

pytestmark = pytest.mark.tier0
ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", ROOT / "deploy" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


node = load("node")
store = load("store")
sys.modules["node"] = node  # progres.py imports it by that name, as in the image
progres = load("progres")
NODES = [("n1", "10.213.7.11"), ("n2", "10.213.7.12"), ("n3", "10.213.7.13")]


def test_the_generated_cluster_configuration_is_valid_and_fenced_by_containers() -> None:
    text = node.cluster_yaml("compose", NODES, "10.213.7.100", "hafailover-{plug}",
                             "/srv/shared/store", 8080)
    result = load_config_text(text, "cluster.yaml")
    errors = [r for r in result.reports if r.severity.value == "error"]
    assert errors == []
    assert result.config is not None
    assert [n.name for n in result.config.nodes] == ["n1", "n2", "n3"]
    device = yaml.safe_load(text)["fencing"]["devices"][0]
    assert device["agent"] == "fence_container"
    assert device["params"] == {"runtime": "docker", "container": "hafailover-{plug}"}


def test_haproxy_listens_on_the_vip_and_balances_over_every_node() -> None:
    cfg = node.haproxy_cfg("10.213.7.100", NODES, 8080)
    assert "bind 10.213.7.100:80" in cfg
    for name, address in NODES:
        assert f"server {name} {address}:8080 check" in cfg


def test_cluster_nodes_are_read_from_name_equals_address_pairs() -> None:
    assert node.parse_nodes("n1=10.0.0.1,n2=10.0.0.2") == [("n1", "10.0.0.1"),
                                                          ("n2", "10.0.0.2")]
    with pytest.raises(ValueError, match="NAME=ADDRESS"):
        node.parse_nodes("n1")


def test_a_stored_record_reads_back_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store.write_record(tmp_path, "run-0000001", b"record 1\n")
    store.write_record(tmp_path, "run-0000001", b"record 1 again\n")
    store.write_record(tmp_path, "run-0000002", b"record 2\n")
    assert store.read_records(tmp_path) == {"run-0000001": "record 1 again\n",
                                            "run-0000002": "record 2\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-0000001", "run-0000002"]


def test_the_harness_reads_nodes_vip_and_client_from_the_compose_file() -> None:
    shape = ClusterShape.from_compose(ROOT / "docker-compose.yml")
    assert shape.nodes == {"n1": "10.213.7.11", "n2": "10.213.7.12", "n3": "10.213.7.13"}
    assert shape.vip == "10.213.7.100"


PROGRES_COMPOSE = ROOT / "examples" / "progres" / "docker-compose.yml"


def progres_nodes() -> list[tuple[str, str]]:
    environment = yaml.safe_load(PROGRES_COMPOSE.read_text())["services"]["lb1"]["environment"]
    return node.parse_nodes(environment["CLUSTER_NODES"])


def test_the_reference_platform_configuration_is_valid_with_every_constraint() -> None:
    text = progres.cluster_yaml("progres", progres_nodes(), "10.213.8.100", "10.213.8.101",
                                "progres-{plug}", "secret")
    result = load_config_text(text, "cluster.yaml")
    assert [str(r) for r in result.reports if r.severity.value == "error"] == []
    document = yaml.safe_load(text)
    tiers = {n["name"]: n["attributes"]["tier"] for n in document["nodes"]}
    assert tiers == {"lb1": "lb", "lb2": "lb", "app1": "app", "app2": "app", "db1": "db",
                     "db2": "db", "storage1": "storage", "storage2": "storage"}
    colocations = {(c["resource"], c["with"], c.get("with-role"))
                   for c in document["constraints"]["colocation"]}
    assert ("db-vip", "db-clone", "Promoted") in colocations
    orders = {(o["first"], o.get("first-action", "start"), o["then"])
              for o in document["constraints"]["order"]}
    assert {("varnish-clone", "start", "web"), ("db-clone", "promote", "db-vip"),
            ("db-vip", "start", "tomcat-clone")} <= orders
    # replicas follow the write VIP, so a new primary needs no notification
    db = next(r for r in document["resources"] if r.get("clone") == "db-clone")
    assert db["resource"]["params"]["primary_host"] == "10.213.8.101"


def test_a_node_name_must_start_with_its_tier() -> None:
    assert progres.tier_of("storage12") == "storage"
    with pytest.raises(ValueError, match="lb, app, db, storage"):
        progres.tier_of("web1")


def test_each_load_balancer_prefers_its_own_varnish_and_varnish_balances_over_tomcat() -> None:
    nodes = progres_nodes()
    cfg = progres.haproxy_cfg("10.213.8.100", "lb2", nodes)
    assert "bind 10.213.8.100:80" in cfg
    assert "server local 127.0.0.1:6081 check" in cfg
    assert "server lb1 10.213.8.11:6081 check inter 500ms fall 2 rise 2 backup" in cfg
    assert "server lb2" not in cfg
    vcl = progres.varnish_vcl(nodes)
    assert '.host = "10.213.8.21"' in vcl and '.host = "10.213.8.22"' in vcl
    assert "apps.add_backend(app1);" in vcl and "apps.add_backend(app2);" in vcl


def test_the_harness_reads_the_reference_platform_from_its_compose_file() -> None:
    shape = ClusterShape.from_compose(PROGRES_COMPOSE)
    assert shape.nodes["storage2"] == "10.213.8.42"
    assert len(shape.nodes) == 8
    assert shape.vip == "10.213.8.100"
