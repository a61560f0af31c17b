"""Write hafailover's configuration and state as a Pacemaker CIB.

The inverse of ``cib_import.read_cib`` for the features both sides have, and a CIB that
Pacemaker's ``crm_simulate`` accepts: the benchmark and the agreement tests run the same
clusters through both schedulers with it. Each active resource instance gets an operation
history that Pacemaker replays to the same role (start, then promote for a promoted
instance, then a failed monitor for a failed one); fail counts become the transient
attributes Pacemaker keeps them in.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import replace

from hafailover.config.model import (
    Clone,
    ClusterConfig,
    Colocation,
    Group,
    Location,
    Meta,
    Operation,
    Order,
    Primitive,
    Resource,
    Rule,
)
from hafailover.config.scores import INFINITY, format_score
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

SCHEMA = "pacemaker-3.7"
FEATURE_SET = "3.16.1"  # Pacemaker 2.1.5: a newer one makes crm_simulate abort
_UUID = "00000000-0000-0000-0000-000000000000"


def _escape(value: str) -> str:
    """Escape an attribute value the way libxml2 writes it."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                         ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;")):
        value = value.replace(char, entity)
    return value


def op_digest(params: Mapping[str, str], timeout_ms: int | None = None) -> str:
    """Pacemaker's digest of an operation's parameters.

    ``calculate_xml_digest_v1`` over ``<parameters>`` with sorted attributes, as libxml2
    prints it; a recurring operation's digest also covers its timeout. Without it
    Pacemaker cannot tell whether the definition changed and restarts the resource.
    """
    values = dict(params)
    if timeout_ms is not None:
        values["CRM_meta_timeout"] = str(timeout_ms)
    attrs = "".join(f' {name}="{_escape(values[name])}"' for name in sorted(values))
    text = f" <parameters{attrs}/>\n"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _seconds(value: float) -> str:
    if value == int(value):
        return f"{int(value)}s"
    return f"{round(value * 1000)}ms"


def _bool(value: bool) -> str:
    return "true" if value else "false"


class _Writer:
    def __init__(self, now: float = 0.0) -> None:
        self.used: set[str] = set()
        self.primitives: dict[str, Primitive] = {}
        # operations are recorded as done "now": an older failure could already have
        # expired (failure-timeout), and Pacemaker would then ignore the failed operation
        self.now = now

    def uid(self, wanted: str) -> str:
        """An XML id unique in the document (Pacemaker's schema requires it)."""
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}-{n}"
        self.used.add(candidate)
        return candidate

    def nvset(self, parent: ET.Element, tag: str, owner: str,
              values: Iterable[tuple[str, str]]) -> None:
        pairs = list(values)
        if not pairs:
            return
        nvset = ET.SubElement(parent, tag, id=self.uid(f"{owner}-{tag}"))
        for name, value in pairs:
            ET.SubElement(nvset, "nvpair", id=self.uid(f"{owner}-{tag}-{name}"), name=name,
                          value=value)

    # ---- configuration

    def meta_pairs(self, meta: Meta) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if meta.target_role != "Started":
            pairs.append(("target-role", meta.target_role))
        if meta.resource_stickiness is not None:
            pairs.append(("resource-stickiness", format_score(meta.resource_stickiness)))
        if meta.migration_threshold is not None:
            pairs.append(("migration-threshold", format_score(meta.migration_threshold)))
        if meta.failure_timeout is not None:
            pairs.append(("failure-timeout", _seconds(meta.failure_timeout)))
        if meta.priority is not None:
            pairs.append(("priority", format_score(meta.priority)))
        if not meta.is_managed:
            pairs.append(("is-managed", "false"))
        if meta.multiple_active is not None:
            pairs.append(("multiple-active", meta.multiple_active))
        return pairs

    def operation(self, parent: ET.Element, owner: str, op: Operation) -> None:
        interval_ms = round(op.interval * 1000)
        element = ET.SubElement(parent, "op", id=self.uid(f"{owner}-{op.name}-{interval_ms}"),
                                name=op.name, interval=_seconds(op.interval),
                                timeout=_seconds(op.timeout))
        if op.on_fail is not None:
            element.set("on-fail", op.on_fail)
        if op.role is not None:
            element.set("role", op.role.value)

    def primitive(self, parent: ET.Element, primitive: Primitive) -> None:
        element = ET.SubElement(parent, "primitive", {
            "id": self.uid(primitive.id), "class": primitive.agent.standard,
            "type": primitive.agent.type})
        if primitive.agent.provider:
            element.set("provider", primitive.agent.provider)
        self.nvset(element, "instance_attributes", primitive.id,
                   sorted(primitive.params.items()))
        self.nvset(element, "meta_attributes", primitive.id, self.meta_pairs(primitive.meta))
        if primitive.operations:
            ops = ET.SubElement(element, "operations")
            for op in primitive.operations:
                self.operation(ops, primitive.id, op)

    def group(self, parent: ET.Element, group: Group) -> None:
        element = ET.SubElement(parent, "group", id=self.uid(group.id))
        self.nvset(element, "meta_attributes", group.id, self.meta_pairs(group.meta))
        for member in group.members:
            self.primitive(element, member)

    def clone(self, parent: ET.Element, clone: Clone) -> None:
        element = ET.SubElement(parent, "clone", id=self.uid(clone.id))
        pairs = self.meta_pairs(clone.meta)
        if clone.clone_max is not None:
            pairs.append(("clone-max", str(clone.clone_max)))
        if clone.clone_node_max != 1:
            pairs.append(("clone-node-max", str(clone.clone_node_max)))
        if clone.promotable:
            pairs.append(("promotable", "true"))
            if clone.promoted_max != 1:
                pairs.append(("promoted-max", str(clone.promoted_max)))
            if clone.promoted_node_max != 1:
                pairs.append(("promoted-node-max", str(clone.promoted_node_max)))
        self.nvset(element, "meta_attributes", clone.id, pairs)
        if isinstance(clone.child, Group):
            self.group(element, clone.child)
        else:
            self.primitive(element, clone.child)

    def resource(self, parent: ET.Element, resource: Resource) -> None:
        if isinstance(resource, Primitive):
            self.primitive(parent, resource)
        elif isinstance(resource, Group):
            self.group(parent, resource)
        else:
            self.clone(parent, resource)

    def rule(self, parent: ET.Element, owner: str, rule: Rule) -> None:
        element = ET.SubElement(parent, "rule", id=self.uid(f"{owner}-rule"),
                                score=format_score(rule.score))
        if rule.boolean_op != "and":
            element.set("boolean-op", rule.boolean_op)
        if rule.role is not None:
            element.set("role", rule.role.value)
        for expression in rule.expressions:
            expr = ET.SubElement(element, "expression", id=self.uid(f"{owner}-expr"),
                                 attribute=expression.attribute,
                                 operation=expression.operation)
            if expression.value is not None:
                expr.set("value", expression.value)
            if expression.type != "string":
                expr.set("type", expression.type)

    def location(self, parent: ET.Element, location: Location) -> None:
        element = ET.SubElement(parent, "rsc_location", id=self.uid(location.id),
                                rsc=location.resource)
        if location.node is not None:
            if location.role is not None:
                element.set("role", location.role.value)
            element.set("node", location.node)
            element.set("score", format_score(location.score))
        for rule in location.rules:
            # Pacemaker 2.1 ignores the location's role when it has rules: put it on each
            self.rule(element, location.id, replace(rule, role=rule.role or location.role))

    def colocation(self, parent: ET.Element, colocation: Colocation) -> None:
        element = ET.SubElement(parent, "rsc_colocation", id=self.uid(colocation.id),
                                rsc=colocation.resource, score=format_score(colocation.score))
        element.set("with-rsc", colocation.with_resource)
        if colocation.resource_role is not None:
            element.set("rsc-role", colocation.resource_role.value)
        if colocation.with_role is not None:
            element.set("with-rsc-role", colocation.with_role.value)

    def order(self, parent: ET.Element, order: Order) -> None:
        element = ET.SubElement(parent, "rsc_order", id=self.uid(order.id), first=order.first,
                                then=order.then, kind=order.kind)
        element.set("first-action", order.first_action)
        if order.then_action is not None:
            element.set("then-action", order.then_action)
        if order.symmetrical is not None:
            element.set("symmetrical", _bool(order.symmetrical))

    def configuration(self, cib: ET.Element, config: ClusterConfig) -> None:
        configuration = ET.SubElement(cib, "configuration")
        crm_config = ET.SubElement(configuration, "crm_config")
        props = config.properties
        self.nvset(crm_config, "cluster_property_set", "cib-bootstrap-options", [
            ("cluster-name", config.name),
            ("no-quorum-policy", props.no_quorum_policy),
            ("stonith-enabled", _bool(props.stonith_enabled)),
            ("symmetric-cluster", _bool(props.symmetric_cluster)),
            ("maintenance-mode", _bool(props.maintenance_mode)),
            ("cluster-recheck-interval", _seconds(props.cluster_recheck_interval)),
            ("stop-orphan-resources", _bool(props.stop_orphan_resources)),
        ])
        nodes = ET.SubElement(configuration, "nodes")
        for node in config.nodes:
            element = ET.SubElement(nodes, "node", id=self.uid(str(node.node_id)),
                                    uname=node.name)
            self.nvset(element, "instance_attributes", f"nodes-{node.node_id}",
                       sorted(node.attributes.items()))
        resources = ET.SubElement(configuration, "resources")
        for device in config.fence_devices:
            element = ET.SubElement(resources, "primitive", {
                "id": self.uid(device.id), "class": "stonith", "type": device.agent})
            params = dict(device.params)
            if device.targets and "pcmk_host_list" not in params:
                params["pcmk_host_list"] = " ".join(device.targets)
            self.nvset(element, "instance_attributes", device.id, sorted(params.items()))
        for resource in config.resources:
            self.resource(resources, resource)
        constraints = ET.SubElement(configuration, "constraints")
        for location in config.constraints.locations:
            self.location(constraints, location)
        for colocation in config.constraints.colocations:
            self.colocation(constraints, colocation)
        for order in config.constraints.orders:
            self.order(constraints, order)
        defaults = config.defaults
        rsc_defaults = ET.SubElement(configuration, "rsc_defaults")
        self.nvset(rsc_defaults, "meta_attributes", "rsc-options", [
            ("resource-stickiness", format_score(defaults.resource_stickiness)),
            ("migration-threshold", format_score(defaults.migration_threshold)),
            ("failure-timeout", _seconds(defaults.failure_timeout)),
            ("priority", format_score(defaults.priority)),
        ])

    # ---- status

    def node_state(self, status: ET.Element, config: ClusterConfig, node: NodeState, *,
                   instances: list[ResourceInstance], failures: list[FailCount],
                   call_ids: dict[str, int]) -> None:
        configured = config.node(node.name)
        node_id = str(configured.node_id) if configured else node.name
        if node.online:
            membership = {"in_ccm": "true", "crmd": "online", "join": "member",
                          "expected": "member"}
        elif node.unclean:
            membership = {"in_ccm": "false", "crmd": "offline", "join": "down",
                          "expected": "member"}
        else:
            membership = {"in_ccm": "false", "crmd": "offline", "join": "down",
                          "expected": "down"}
        element = ET.SubElement(status, "node_state",
                                {"id": node_id, "uname": node.name, **membership})
        attributes: list[tuple[str, str]] = sorted(node.attributes.items())
        if node.online and node.unclean:
            attributes.append(("terminate", "true"))  # Pacemaker fences it
        if node.standby:
            attributes.append(("standby", "on"))
        if node.maintenance:
            attributes.append(("maintenance", "on"))
        for failure in failures:
            attributes.append((f"fail-count-{failure.resource}#start_0",
                               format_score(min(failure.count, INFINITY))))
            attributes.append((f"last-failure-{failure.resource}#start_0",
                               str(int(failure.last_failure))))
        if attributes:
            transient = ET.SubElement(element, "transient_attributes", id=node_id)
            self.nvset(transient, "instance_attributes", f"status-{node_id}", attributes)
        if not instances:
            return
        lrm = ET.SubElement(element, "lrm", id=node_id)
        lrm_resources = ET.SubElement(lrm, "lrm_resources")
        for instance in instances:
            primitive = self.primitives.get(instance.resource)
            agent = primitive.agent if primitive else None
            lrm_resource = ET.SubElement(lrm_resources, "lrm_resource", {
                "id": instance.resource, "type": agent.type if agent else "Dummy",
                "class": agent.standard if agent else "ocf"})
            provider = agent.provider if agent else "pacemaker"
            if provider:
                lrm_resource.set("provider", provider)
            self.history(lrm_resource, node.name, instance, primitive, call_ids,
                         fencing=config.properties.stonith_enabled)

    def history(self, lrm_resource: ET.Element, node: str, instance: ResourceInstance,
                primitive: Primitive | None, call_ids: dict[str, int], *,
                fencing: bool) -> None:
        """Operations that Pacemaker replays to the instance's role and failure.

        A healthy instance gets one "last" entry: its start, or its promote. A failed one
        also gets a failed operation chosen so that its on-fail means the same thing:
        for a blocked instance a recurring operation configured with on-fail=block (or,
        without fencing, a failed stop, which Pacemaker then blocks); otherwise the
        start or promote itself fails. The digests let Pacemaker see that the definition
        has not changed since, which would otherwise restart the resource.
        """
        params = primitive.params if primitive else {}
        promoted = instance.role.value == "Promoted"
        task = "promote" if promoted else "start"
        ops: list[tuple[str, str, Operation | None, int]] = []  # id, task, op, rc
        if not instance.failed:
            ops.append((f"{instance.resource}_last_0", task, None, 0))
        elif instance.blocked:
            blocking = next((op for op in (primitive.operations if primitive else ())
                             if op.on_fail == "block" and op.interval > 0), None)
            ops.append((f"{instance.resource}_last_0", task, None, 0))
            if blocking is not None:
                ops.append((f"{instance.resource}_{blocking.name}_"
                            f"{round(blocking.interval * 1000)}", blocking.name, blocking, 1))
            elif not fencing:
                ops.append((f"{instance.resource}_last_failure_0", "stop", None, 1))
        else:
            ops.append((f"{instance.resource}_last_failure_0", task, None, 1))
        for op_id, name, recurring, rc in ops:
            call_ids[node] = call_id = call_ids.get(node, 0) + 1
            key = f"{call_id}:1:{8 if promoted and recurring else 0}:{_UUID}"
            interval = round(recurring.interval * 1000) if recurring else 0
            digest = op_digest(params, round(recurring.timeout * 1000) if recurring else None)
            op = ET.SubElement(lrm_resource, "lrm_rsc_op", id=op_id,
                               operation_key=f"{instance.resource}_{name}_{interval}",
                               operation=name, interval=str(interval))
            for attr, value in (
                ("call-id", str(call_id)), ("rc-code", str(rc)), ("op-status", "0"),
                ("transition-key", key), ("transition-magic", f"0:{rc};{key}"),
                ("on_node", node), ("crm-debug-origin", "hafailover"),
                ("crm_feature_set", FEATURE_SET), ("last-rc-change", str(int(self.now))),
                ("exec-time", "0"), ("queue-time", "0"), ("op-digest", digest),
            ):
                op.set(attr, value)

    def status(self, cib: ET.Element, config: ClusterConfig, state: ClusterState) -> None:
        status = ET.SubElement(cib, "status")
        self.primitives = {p.id: p for p in config.primitives()}
        call_ids: dict[str, int] = {}
        by_node: Mapping[str, NodeState] = {n.name: n for n in state.nodes}
        for node in config.nodes:
            node_state = by_node.get(node.name)
            if node_state is None:
                continue
            self.node_state(
                status, config, node_state,
                instances=[r for r in state.resources if r.node == node.name],
                failures=[f for f in state.failures if f.node == node.name],
                call_ids=call_ids)


def write_cib(config: ClusterConfig, state: ClusterState) -> str:
    """A CIB with ``config`` as its configuration and ``state`` as its status."""
    writer = _Writer(state.now)
    cib = ET.Element("cib", {
        "validate-with": SCHEMA, "crm_feature_set": FEATURE_SET, "admin_epoch": "0",
        "epoch": "1", "num_updates": "0", "have-quorum": "1" if state.quorate else "0",
    })
    if state.now:
        cib.set("execution-date", str(int(state.now)))
    online = [n for n in state.nodes if n.online]
    if online:
        dc = config.node(online[0].name)
        if dc is not None:
            cib.set("dc-uuid", str(dc.node_id))
    writer.configuration(cib, config)
    writer.status(cib, config, state)
    ET.indent(cib, space="  ")
    return ET.tostring(cib, encoding="unicode") + "\n"
