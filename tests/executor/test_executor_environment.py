"""The environment an agent sees: OCF variables, parameters, meta data, clone data."""

from __future__ import annotations

import pytest

from hafailover.config.model import AgentRef, Clone, Primitive, Role, frozen_map
from hafailover.executor.environment import (
    AgentEnvironment,
    CloneInstance,
    NotifyData,
    NotifyPeer,
    build_env,
    instance_name,
)

pytestmark = pytest.mark.tier0

HOST = AgentEnvironment("/usr/lib/ocf", "/usr/lib/ocf/lib/heartbeat", "/usr/sbin:/usr/bin")
WEB = Primitive("web", AgentRef("ocf", "heartbeat", "IPaddr2"),
                params=frozen_map({"ip": "192.0.2.10", "cidr_netmask": "24"}))


def env(**kwargs: object) -> dict[str, str]:
    args: dict[str, object] = {"node": "n1", "interval": 0.0, "timeout": 20.0, "host": HOST}
    args.update(kwargs)
    primitive = args.pop("primitive", WEB)
    action = args.pop("action", "start")
    return build_env(primitive, action, **args)  # type: ignore[arg-type]


def test_agent_gets_the_ocf_variables_of_the_api() -> None:
    e = env()
    assert e["OCF_ROOT"] == "/usr/lib/ocf"
    assert e["OCF_FUNCTIONS_DIR"] == "/usr/lib/ocf/lib/heartbeat"
    assert (e["OCF_RA_VERSION_MAJOR"], e["OCF_RA_VERSION_MINOR"]) == ("1", "1")
    assert e["OCF_RESOURCE_INSTANCE"] == "web"
    assert e["OCF_RESOURCE_TYPE"] == "IPaddr2"
    assert e["OCF_RESOURCE_PROVIDER"] == "heartbeat"
    assert e["PATH"] == "/usr/sbin:/usr/bin"


def test_every_parameter_becomes_an_ocf_reskey_variable() -> None:
    e = env()
    assert e["OCF_RESKEY_ip"] == "192.0.2.10"
    assert e["OCF_RESKEY_cidr_netmask"] == "24"


def test_interval_and_timeout_are_passed_in_milliseconds() -> None:
    e = env(action="monitor", interval=10.0, timeout=2.5)
    assert e["OCF_RESKEY_CRM_meta_interval"] == "10000"
    assert e["OCF_RESKEY_CRM_meta_timeout"] == "2500"
    assert e["OCF_RESKEY_CRM_meta_name"] == "monitor"
    assert e["OCF_RESKEY_CRM_meta_on_node"] == "n1"


def test_the_environment_holds_nothing_but_path_and_ocf_variables() -> None:
    e = env(clone=CloneInstance(0, 2), action="monitor", interval=5.0, role=Role.PROMOTED)
    assert all(k == "PATH" or k.startswith("OCF_") for k in e)


def test_builtin_agents_have_no_provider_variable() -> None:
    vip = Primitive("vip", AgentRef("builtin", None, "vip"))
    assert "OCF_RESOURCE_PROVIDER" not in env(primitive=vip)


def test_clone_instances_are_named_id_colon_number() -> None:
    assert instance_name("db", CloneInstance(2, 3)) == "db:2"
    assert instance_name("db", None) == "db"
    assert env(clone=CloneInstance(1, 2))["OCF_RESOURCE_INSTANCE"] == "web:1"


def test_clone_data_is_passed_as_crm_meta() -> None:
    e = env(clone=CloneInstance(1, clone_max=3, clone_node_max=1, notify=True))
    assert e["OCF_RESKEY_CRM_meta_clone"] == "1"
    assert e["OCF_RESKEY_CRM_meta_clone_max"] == "3"
    assert e["OCF_RESKEY_CRM_meta_clone_node_max"] == "1"
    assert e["OCF_RESKEY_CRM_meta_globally_unique"] == "false"
    assert e["OCF_RESKEY_CRM_meta_notify"] == "true"
    assert "OCF_RESKEY_CRM_meta_promoted_max" not in e


def test_promotable_clone_data_is_passed_under_both_names() -> None:
    e = env(clone=CloneInstance(0, 2, promotable=True, promoted_max=1, promoted_node_max=1))
    for key in ("promoted_max", "master_max", "promoted_node_max", "master_node_max"):
        assert e[f"OCF_RESKEY_CRM_meta_{key}"] == "1"
    assert e["OCF_RESKEY_CRM_meta_promotable"] == "true"


def test_clone_instance_from_the_model_defaults_clone_max_to_the_node_count() -> None:
    clone = Clone("db-clone", WEB, promotable=True, promoted_max=2)
    inst = CloneInstance.of(clone, 1, node_count=3)
    assert (inst.clone_max, inst.promoted_max, inst.promotable) == (3, 2, True)
    assert CloneInstance.of(Clone("c", WEB, clone_max=5), 0, node_count=3).clone_max == 5


def test_role_is_passed_for_recurring_monitors_only() -> None:
    assert env(action="monitor", interval=5.0, role=Role.PROMOTED)[
        "OCF_RESKEY_CRM_meta_role"] == "Promoted"
    assert "OCF_RESKEY_CRM_meta_role" not in env(action="monitor", role=Role.PROMOTED)


def test_notify_data_lists_the_instances_and_nodes() -> None:
    data = NotifyData("pre", "start", {"start": [NotifyPeer("db:0", "n1"),
                                                 NotifyPeer("db:1", "n2")]})
    e = env(action="notify", notify=data)
    assert e["OCF_RESKEY_CRM_meta_notify_type"] == "pre"
    assert e["OCF_RESKEY_CRM_meta_notify_operation"] == "start"
    assert e["OCF_RESKEY_CRM_meta_notify_start_resource"] == "db:0 db:1"
    assert e["OCF_RESKEY_CRM_meta_notify_start_uname"] == "n1 n2"
