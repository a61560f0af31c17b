"""The environment an OCF agent runs with, built from the model. Pure.

The agent gets a clean environment: PATH, the OCF_* variables of the OCF RA API 1.1,
``OCF_RESKEY_<param>`` for every parameter and the ``OCF_RESKEY_CRM_meta_*`` variables
Pacemaker passes (interval and timeout in milliseconds, clone data, the node name).
Nothing from the daemon's own environment leaks through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hafailover.config.model import Clone, Primitive, Role

OCF_RA_VERSION = (1, 1)
EXIT_REASON_PREFIX = "ocf-exit-reason:"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


@dataclass(frozen=True)
class CloneInstance:
    """Which copy of a clone an operation is for, and the clone's shape."""

    number: int
    clone_max: int
    clone_node_max: int = 1
    promotable: bool = False
    promoted_max: int = 1
    promoted_node_max: int = 1
    notify: bool = False
    globally_unique: bool = False

    @classmethod
    def of(cls, clone: Clone, number: int, *, node_count: int,
           notify: bool = False) -> CloneInstance:
        """Instance ``number`` of ``clone``; ``clone_max`` None means one per node."""
        return cls(number=number,
                   clone_max=clone.clone_max if clone.clone_max is not None else node_count,
                   clone_node_max=clone.clone_node_max, promotable=clone.promotable,
                   promoted_max=clone.promoted_max, promoted_node_max=clone.promoted_node_max,
                   notify=notify)

    def env(self) -> dict[str, str]:
        meta = {
            "clone": str(self.number),
            "clone_max": str(self.clone_max),
            "clone_node_max": str(self.clone_node_max),
            "globally_unique": _flag(self.globally_unique),
            "notify": _flag(self.notify),
        }
        if self.promotable:
            # Both spellings: agents written before Pacemaker 2.1 read master_*.
            meta |= {
                "promotable": "true",
                "promoted_max": str(self.promoted_max),
                "master_max": str(self.promoted_max),
                "promoted_node_max": str(self.promoted_node_max),
                "master_node_max": str(self.promoted_node_max),
            }
        return {f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()}


@dataclass(frozen=True)
class NotifyPeer:
    resource: str  # instance name, e.g. db:1
    node: str


@dataclass(frozen=True)
class NotifyData:
    """The pre/post notification of a clone operation (``notify`` action)."""

    type: str  # "pre" or "post"
    operation: str  # start, stop, promote, demote
    # kind (active, inactive, start, stop, promote, demote, promoted, unpromoted) -> peers
    peers: Mapping[str, Sequence[NotifyPeer]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {
            "OCF_RESKEY_CRM_meta_notify_type": self.type,
            "OCF_RESKEY_CRM_meta_notify_operation": self.operation,
        }
        for kind, peers in self.peers.items():
            env[f"OCF_RESKEY_CRM_meta_notify_{kind}_resource"] = " ".join(p.resource for p in peers)
            env[f"OCF_RESKEY_CRM_meta_notify_{kind}_uname"] = " ".join(p.node for p in peers)
        return env


def unpassable_params(primitive: Primitive) -> list[str]:
    """Parameters that cannot be put in an environment (a name with '=' or NUL, a NUL value)."""
    return [name for name, value in primitive.params.items()
            if not name or "=" in name or "\0" in name or "\0" in value]


def instance_name(resource_id: str, clone: CloneInstance | None) -> str:
    """``OCF_RESOURCE_INSTANCE``: the primitive id, ``id:N`` for clone instance N."""
    return f"{resource_id}:{clone.number}" if clone is not None else resource_id


@dataclass(frozen=True)
class AgentEnvironment:
    """The host-level part of the environment, the same for every operation."""

    ocf_root: str
    functions_dir: str
    path: str
    resource_tmp: str = ""  # HA_RSCTMP for the agents' state files; "" keeps their default
    # HA_SBIN_DIR with the crm_attribute / crm_master stand-ins, and where they keep the
    # promotion scores (hafailover.executor.attributes); "" gives neither
    sbin_dir: str = ""
    attribute_dir: str = ""


def build_env(primitive: Primitive, action: str, *, node: str, interval: float, timeout: float,
              host: AgentEnvironment, clone: CloneInstance | None = None,
              role: Role | None = None, notify: NotifyData | None = None) -> dict[str, str]:
    """The complete environment of one agent invocation."""
    agent = primitive.agent
    env = {
        "PATH": host.path,
        "OCF_ROOT": host.ocf_root,
        "OCF_FUNCTIONS_DIR": host.functions_dir,
        "OCF_RA_VERSION_MAJOR": str(OCF_RA_VERSION[0]),
        "OCF_RA_VERSION_MINOR": str(OCF_RA_VERSION[1]),
        "OCF_RESOURCE_INSTANCE": instance_name(primitive.id, clone),
        "OCF_RESOURCE_TYPE": agent.type,
        "OCF_EXIT_REASON_PREFIX": EXIT_REASON_PREFIX,
    }
    if host.resource_tmp:  # state and pid files of the agents (the lab: one per node)
        env["HA_RSCTMP"] = host.resource_tmp
        env["HA_VARRUN"] = host.resource_tmp
    if host.sbin_dir and host.attribute_dir:
        env["HA_SBIN_DIR"] = host.sbin_dir
        env["HAFAILOVER_ATTRIBUTE_DIR"] = host.attribute_dir
    if agent.provider:
        env["OCF_RESOURCE_PROVIDER"] = agent.provider
    for name, value in primitive.params.items():
        env[f"OCF_RESKEY_{name}"] = value
    env |= {
        "OCF_RESKEY_CRM_meta_name": action,
        "OCF_RESKEY_CRM_meta_interval": _ms(interval),
        "OCF_RESKEY_CRM_meta_timeout": _ms(timeout),
        "OCF_RESKEY_CRM_meta_on_node": node,
        "OCF_RESKEY_CRM_meta_target_role": primitive.meta.target_role,
    }
    if role is not None and action == "monitor" and interval > 0:
        env["OCF_RESKEY_CRM_meta_role"] = role.value
    if clone is not None:
        env |= clone.env()
    if notify is not None:
        env |= notify.env()
    return env
