"""Load a cluster configuration from YAML: structure and types here, meaning in ``validate``.

Every problem becomes a ``Report`` with file, line and key path; loading never stops at
the first one and never raises for bad input. ``LoadResult.config`` is None as soon as
one report is an error: callers never see a half-loaded model.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Literal, cast

from hafailover.config.model import (
    ActionName,
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Expression,
    FenceDevice,
    FenceLevel,
    Group,
    Heartbeat,
    HeartbeatLink,
    Location,
    Meta,
    MultipleActive,
    Node,
    NoQuorumPolicy,
    OnFail,
    Operation,
    Order,
    OrderKind,
    Peer,
    Primitive,
    Properties,
    Quorum,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    TargetRole,
    Transport,
    default_priority_fencing_delay,
    default_quorum,
    frozen_map,
)
from hafailover.config.scores import INFINITY
from hafailover.config.validate import ConfigPaths, validate_config
from hafailover.config.yamlsource import Reader, Section, YMap, YNode, parse_yaml
from hafailover.report_codes import Code
from hafailover.reports import Report, ReportedError, Severity

TOP_KEYS = ("cluster", "nodes", "heartbeat", "peer", "quorum", "properties",
            "resource-defaults", "resources", "constraints", "fencing")
NODE_KEYS = ("name", "id", "addresses", "attributes", "votes")
HEARTBEAT_KEYS = ("interval", "dead-time", "transport", "links")
PEER_KEYS = ("port", "probe-timeout")
LINK_KEYS = ("name", "multicast-group", "port", "interface")
QUORUM_KEYS = ("two-node", "wait-for-all", "expected-votes")
PROPERTY_KEYS = ("no-quorum-policy", "stonith-enabled", "symmetric-cluster", "maintenance-mode",
                 "cluster-recheck-interval", "stop-orphan-resources", "priority-fencing-delay",
                 "watchdog-timeout")
DEFAULTS_KEYS = ("resource-stickiness", "migration-threshold", "failure-timeout", "priority")
PRIMITIVE_KEYS = ("primitive", "agent", "params", "operations", "meta")
GROUP_KEYS = ("group", "members", "meta")
CLONE_KEYS = ("clone", "resource", "clone-max", "clone-node-max", "promotable", "promoted-max",
              "promoted-node-max", "meta")
RESOURCE_KINDS = ("primitive", "group", "clone")
OPERATION_KEYS = ("name", "interval", "timeout", "on-fail", "role")
META_KEYS = ("target-role", "resource-stickiness", "migration-threshold", "failure-timeout",
             "priority", "is-managed", "multiple-active")
CONSTRAINT_KEYS = ("location", "colocation", "order")
LOCATION_KEYS = ("id", "resource", "node", "score", "role", "rules", "rule")
RULE_KEYS = ("score", "boolean-op", "role", "expressions")
EXPRESSION_KEYS = ("attribute", "op", "value", "type")
COLOCATION_KEYS = ("id", "resource", "with", "score", "resource-role", "with-role")
ORDER_KEYS = ("id", "first", "first-action", "then", "then-action", "kind", "symmetrical")
FENCING_KEYS = ("devices", "topology")
TOPOLOGY_KEYS = ("target", "levels")
DEVICE_KEYS = ("id", "agent", "params", "targets", "timeout")

TRANSPORTS = ("multicast", "unicast")
NO_QUORUM_POLICIES = ("stop", "freeze", "ignore")
ON_FAIL = ("restart", "stop", "ignore", "block", "standby", "fence")
TARGET_ROLES = ("Started", "Stopped", "Promoted", "Unpromoted")
MULTIPLE_ACTIVE = ("stop_start", "stop_unexpected", "block")
OPERATION_ROLES = ("Promoted", "Unpromoted")
CONSTRAINT_ROLES = ("Started", "Promoted", "Unpromoted")
ACTIONS = ("start", "stop", "promote", "demote")
ORDER_KINDS = ("Mandatory", "Optional", "Serialize")
BOOLEAN_OPS = ("and", "or")
EXPRESSION_OPS = ("eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined")
EXPRESSION_TYPES = ("string", "integer", "number", "version")
LEGACY_ROLES = {"Master": "Promoted", "Slave": "Unpromoted"}

BooleanOp = Literal["and", "or"]
ExpressionOp = Literal["eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined"]
ExpressionType = Literal["string", "integer", "number", "version"]


@dataclass(frozen=True)
class LoadResult:
    config: ClusterConfig | None  # None iff any report is an error
    reports: tuple[Report, ...]  # errors and warnings, in file order

    @property
    def ok(self) -> bool:
        return self.config is not None


def load_config_text(text: str, filename: str = "<string>") -> LoadResult:
    """Parse and validate YAML text; never raises for bad input."""
    parsed = parse_yaml(text, filename)
    reader = Reader(filename)
    reader.reports.extend(parsed.reports)
    if parsed.root is None:
        if not parsed.reports:
            reader.report(Code.CONFIG_EMPTY, "the configuration is empty", "", line=1,
                          allowed="a mapping with at least 'cluster' and 'nodes'")
        return _result(None, reader.reports)
    built = _Builder(reader).build(parsed.root)
    reports = list(reader.reports)
    if built is not None:
        config, paths = built
        reports += validate_config(config, reader.source, paths, filename)
    errors = any(r.severity is Severity.ERROR for r in reports)
    return _result(None if errors or built is None else built[0], reports)


def load_config_file(path: str | os.PathLike[str]) -> LoadResult:
    """Read and load a file; an unreadable or non-UTF-8 file is an error report."""
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return _result(None, [Report(
            code=Code.CONFIG_FILE, severity=Severity.ERROR,
            message=f"cannot read the configuration: {exc.strerror or exc}", file=filename,
        )])
    return load_config_bytes(data, filename)


def load_config_bytes(data: bytes, filename: str = "<bytes>") -> LoadResult:
    """Decode UTF-8 (with or without a byte-order mark) and load."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _result(None, [Report(
            code=Code.CONFIG_ENCODING, severity=Severity.ERROR,
            message=f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} "
                    f"at offset {exc.start} cannot be decoded",
            file=filename, line=line, hint="save the file as UTF-8",
        )])
    return load_config_text(text, filename)


def load_config(path: str | os.PathLike[str]) -> ClusterConfig:
    """Load a file or raise ``ReportedError`` carrying every report."""
    result = load_config_file(path)
    if result.config is None:
        raise ReportedError(result.reports)
    return result.config


def _result(config: ClusterConfig | None, reports: list[Report]) -> LoadResult:
    ordered = sorted(reports, key=lambda r: (r.line is None, r.line or 0))
    return LoadResult(config, tuple(ordered))


def parse_agent(text: str) -> AgentRef | None:
    """``standard[:provider]:type`` -> AgentRef; None if the shape is wrong."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        return None
    if len(parts) == 2:
        return AgentRef(parts[0], None, parts[1])
    return AgentRef(parts[0], parts[1], parts[2])


class _Builder:
    """Reads sections into model objects; bad values fall back to defaults and are
    marked invalid so that the semantic checks skip them instead of piling on."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.paths = ConfigPaths()

    def build(self, root: YNode) -> tuple[ClusterConfig, ConfigPaths] | None:
        top = self.reader.section(root, "", TOP_KEYS, ("cluster", "nodes"))
        if top is None:
            return None
        name = ""
        cluster = top.section("cluster", ("name",), ("name",))
        if cluster is not None:
            name = cluster.text("name") or ""
        nodes = self._nodes(top)
        heartbeat = self._heartbeat(top)
        quorum = self._quorum(top, len(nodes))
        config = ClusterConfig(
            name=name,
            nodes=tuple(nodes),
            heartbeat=heartbeat,
            peer=self._peer(top),
            quorum=quorum,
            properties=self._properties(top, quorum),
            defaults=self._defaults(top),
            resources=tuple(self._resources(top)),
            fence_devices=tuple(self._fencing(top)),
            fence_topology=tuple(self._topology(top)),
        )
        constraints = self._constraints(top)
        config = dataclasses.replace(config, constraints=self._with_ids(config, constraints))
        return config, self.paths

    # --- nodes and heartbeat ---------------------------------------------------------

    def _nodes(self, top: Section) -> list[Node]:
        nodes = []
        for index, (path, item) in enumerate(top.items("nodes")):
            sec = self.reader.section(item, path, NODE_KEYS, ("name",))
            if sec is None:
                continue
            name = sec.text("name")
            if name is None:
                continue
            node_id = sec.integer("id")
            votes = sec.integer("votes")
            nodes.append(Node(
                name=name,
                node_id=index + 1 if node_id is None else node_id,
                addresses=frozen_map(sec.string_map("addresses")),
                attributes=frozen_map(sec.string_map("attributes")),
                votes=1 if votes is None else votes,
            ))
            self.paths.nodes.append(path)
        return nodes

    def _heartbeat(self, top: Section) -> Heartbeat:
        default = Heartbeat()
        sec = top.section("heartbeat", HEARTBEAT_KEYS)
        if sec is None:
            return default
        transport = sec.choice("transport", TRANSPORTS) or default.transport
        links = default.links
        if sec.has("links"):
            links = tuple(self._link(path, item) for path, item in sec.items("links"))
        elif transport == "unicast":
            links = (HeartbeatLink(name="ring0"),)
        interval = sec.duration("interval")
        dead_time = sec.duration("dead-time")
        return Heartbeat(
            interval=default.interval if interval is None else interval,
            dead_time=default.dead_time if dead_time is None else dead_time,
            transport=cast(Transport, transport),
            links=links,
        )

    def _link(self, path: str, item: YNode) -> HeartbeatLink:
        sec = self.reader.section(item, path, LINK_KEYS, ("name",))
        if sec is None:
            return HeartbeatLink(name="")
        port = sec.integer("port")
        return HeartbeatLink(
            name=sec.text("name") or "",
            multicast_group=sec.text("multicast-group"),
            port=5405 if port is None else port,
            interface=sec.text("interface"),
        )

    def _peer(self, top: Section) -> Peer:
        default = Peer()
        sec = top.section("peer", PEER_KEYS)
        if sec is None:
            return default
        port = sec.integer("port")
        probe_timeout = sec.duration("probe-timeout")
        return Peer(port=default.port if port is None else port,
                    probe_timeout=default.probe_timeout if probe_timeout is None
                    else probe_timeout)

    def _quorum(self, top: Section, node_count: int) -> Quorum:
        default = default_quorum(node_count)
        sec = top.section("quorum", QUORUM_KEYS)
        given = None if sec is None else sec.boolean("two-node")
        two_node = default.two_node if given is None else given
        if given is None and two_node:
            self.reader.report(
                Code.CONFIG_TWO_NODE_DEFAULTS, "two nodes: two-node quorum is on, so the "
                "node left when the other is lost keeps quorum and recovers its resources "
                "(at start it waits until it has seen both nodes once)", "quorum.two-node",
                severity=Severity.INFO, hint="set quorum.two-node: false to refuse it")
        if sec is None:
            return default
        wait_for_all = sec.boolean("wait-for-all")
        return Quorum(
            two_node=two_node,
            wait_for_all=two_node if wait_for_all is None else wait_for_all,
            expected_votes=sec.integer("expected-votes"),
        )

    def _properties(self, top: Section, quorum: Quorum) -> Properties:
        sec = top.section("properties", PROPERTY_KEYS)
        stonith = Properties().stonith_enabled if sec is None else _bool(
            sec.boolean("stonith-enabled"), Properties().stonith_enabled)
        fencing_delay = None if sec is None else sec.duration("priority-fencing-delay")
        default = dataclasses.replace(
            Properties(), priority_fencing_delay=default_priority_fencing_delay(quorum, stonith))
        if fencing_delay is None and default.priority_fencing_delay > 0:
            self.reader.report(
                Code.CONFIG_TWO_NODE_DEFAULTS, f"two nodes that fence each other: "
                f"priority-fencing-delay is {default.priority_fencing_delay:g}s, so that when "
                "the link between them fails the node that runs the resources wins the fence "
                "race", "properties.priority-fencing-delay", severity=Severity.INFO,
                hint="the delay is also added to the failover when that node dies; set "
                "priority-fencing-delay to what your fence device needs")
        if sec is None:
            return default
        policy = sec.choice("no-quorum-policy", NO_QUORUM_POLICIES)
        recheck = sec.duration("cluster-recheck-interval")
        watchdog = sec.duration("watchdog-timeout")
        return Properties(
            no_quorum_policy=cast(NoQuorumPolicy, policy or default.no_quorum_policy),
            stonith_enabled=stonith,
            symmetric_cluster=_bool(sec.boolean("symmetric-cluster"), default.symmetric_cluster),
            maintenance_mode=_bool(sec.boolean("maintenance-mode"), default.maintenance_mode),
            cluster_recheck_interval=default.cluster_recheck_interval if recheck is None
            else recheck,
            stop_orphan_resources=_bool(sec.boolean("stop-orphan-resources"),
                                        default.stop_orphan_resources),
            priority_fencing_delay=default.priority_fencing_delay if fencing_delay is None
            else fencing_delay,
            watchdog_timeout=default.watchdog_timeout if watchdog is None else watchdog,
        )

    def _defaults(self, top: Section) -> ResourceDefaults:
        default = ResourceDefaults()
        sec = top.section("resource-defaults", DEFAULTS_KEYS)
        if sec is None:
            return default
        stickiness = sec.score("resource-stickiness")
        threshold = _threshold(sec.score("migration-threshold"))
        failure_timeout = sec.duration("failure-timeout")
        priority = sec.integer("priority")
        return ResourceDefaults(
            resource_stickiness=default.resource_stickiness if stickiness is None
            else stickiness,
            migration_threshold=default.migration_threshold if threshold is None else threshold,
            failure_timeout=default.failure_timeout if failure_timeout is None
            else failure_timeout,
            priority=default.priority if priority is None else priority,
        )

    # --- resources -------------------------------------------------------------------

    def _resources(self, top: Section) -> list[Resource]:
        resources = []
        for path, item in top.items("resources"):
            resource = self._resource(path, item, RESOURCE_KINDS)
            if resource is not None:
                resources.append(resource)
        return resources

    def _resource(self, path: str, item: YNode, kinds: tuple[str, ...]) -> Resource | None:
        """A resource, or None; the paths of a dropped resource's parts are forgotten so
        that ``paths.resources`` stays aligned with the model's resources."""
        mark = len(self.paths.resources)
        resource = self._resource_of_kind(path, item, kinds)
        if resource is None:
            del self.paths.resources[mark:]
        return resource

    def _resource_of_kind(self, path: str, item: YNode,
                          kinds: tuple[str, ...]) -> Resource | None:
        if not isinstance(item, YMap):
            self.reader.type_error(item, path, "a mapping starting with " + _either(kinds))
            return None
        present = [k for k in RESOURCE_KINDS if k in item.entries]
        if len(present) > 1:
            self.reader.report(Code.CONFIG_CONFLICTING_KEYS,
                               f"a resource is one of {_either(RESOURCE_KINDS)}, not several",
                               path, line=item.line, found=", ".join(present))
            return None
        if not present:
            self.reader.section(item, path,
                                tuple(dict.fromkeys(PRIMITIVE_KEYS + GROUP_KEYS + CLONE_KEYS)))
            self.reader.report(Code.CONFIG_MISSING_KEY, "a resource needs an id given as "
                               + _either(kinds), path, line=item.line,
                               allowed=", ".join(f"{k}: ID" for k in kinds))
            return None
        kind = present[0]
        if kind not in kinds:
            where = "a group's members" if path.endswith("]") else "a clone's resource"
            self.reader.report(Code.CONFIG_TYPE, f"{where} cannot be a {kind}", path,
                               line=item.line, found=f"{kind}: ...",
                               allowed=_either(kinds))
            return None
        if kind == "primitive":
            return self._primitive(path, item)
        if kind == "group":
            return self._group(path, item)
        return self._clone(path, item)

    def _resource_id(self, sec: Section, kind: str) -> str | None:
        rid = sec.text(kind)
        if rid is not None:
            self.paths.resources.append(sec.path)
        return rid

    def _primitive(self, path: str, item: YMap) -> Primitive | None:
        sec = self.reader.section(item, path, PRIMITIVE_KEYS, ("primitive", "agent"))
        assert sec is not None
        rid = self._resource_id(sec, "primitive")
        agent_text = sec.text("agent")
        agent = parse_agent(agent_text) if agent_text is not None else None
        if agent_text is not None and agent is None:
            node = sec.get("agent")
            assert node is not None
            self.reader.report(Code.CONFIG_AGENT, f"'{agent_text}' is not an agent name",
                               sec.key_path("agent"), line=node.line, found=f"'{agent_text}'",
                               allowed="standard:type or ocf:provider:type, e.g. builtin:vip, "
                               "ocf:heartbeat:IPaddr2, systemd:nginx")
        if rid is None:
            return None
        return Primitive(
            id=rid,
            agent=agent or AgentRef("", None, agent_text or ""),
            params=frozen_map(sec.string_map("params")),
            operations=tuple(self._operation(p, i) for p, i in sec.items("operations")),
            meta=self._meta(sec),
        )

    def _operation(self, path: str, item: YNode) -> Operation:
        sec = self.reader.section(item, path, OPERATION_KEYS, ("name",))
        if sec is None:
            return Operation(name="")
        interval = sec.duration("interval")
        timeout = sec.duration("timeout")
        on_fail = sec.choice("on-fail", ON_FAIL)
        return Operation(
            name=sec.text("name") or "",
            interval=0.0 if interval is None else interval,
            timeout=20.0 if timeout is None else timeout,
            on_fail=cast(OnFail | None, on_fail),
            role=_role(sec.choice("role", OPERATION_ROLES, LEGACY_ROLES)),
        )

    def _meta(self, parent: Section) -> Meta:
        sec = parent.section("meta", META_KEYS)
        if sec is None:
            return Meta()
        role = sec.choice("target-role", TARGET_ROLES, LEGACY_ROLES)
        return Meta(
            target_role=cast(TargetRole, role or "Started"),
            resource_stickiness=sec.score("resource-stickiness"),
            migration_threshold=_threshold(sec.score("migration-threshold")),
            failure_timeout=sec.duration("failure-timeout"),
            priority=sec.integer("priority"),
            is_managed=_bool(sec.boolean("is-managed"), True),
            multiple_active=cast(MultipleActive | None,
                                 sec.choice("multiple-active", MULTIPLE_ACTIVE)),
        )

    def _group(self, path: str, item: YMap) -> Group | None:
        sec = self.reader.section(item, path, GROUP_KEYS, ("group", "members"))
        assert sec is not None
        rid = self._resource_id(sec, "group")
        members = []
        for member_path, member in sec.items("members"):
            primitive = self._resource(member_path, member, ("primitive",))
            if isinstance(primitive, Primitive):
                members.append(primitive)
        if rid is None:
            return None
        return Group(id=rid, members=tuple(members), meta=self._meta(sec))

    def _clone(self, path: str, item: YMap) -> Clone | None:
        sec = self.reader.section(item, path, CLONE_KEYS, ("clone", "resource"))
        assert sec is not None
        rid = self._resource_id(sec, "clone")
        child_node = sec.get("resource")
        child = None
        if child_node is not None:
            child = self._resource(sec.key_path("resource"), child_node, ("primitive", "group"))
        clone_node_max = sec.integer("clone-node-max")
        promoted_max = sec.integer("promoted-max")
        promoted_node_max = sec.integer("promoted-node-max")
        if rid is None:
            return None
        if not isinstance(child, Primitive | Group):
            self.reader.source.broken_ids.add(rid)
            return None
        return Clone(
            id=rid,
            child=child,
            clone_max=sec.integer("clone-max"),
            clone_node_max=1 if clone_node_max is None else clone_node_max,
            promotable=_bool(sec.boolean("promotable"), False),
            promoted_max=1 if promoted_max is None else promoted_max,
            promoted_node_max=1 if promoted_node_max is None else promoted_node_max,
            meta=self._meta(sec),
        )

    # --- constraints -----------------------------------------------------------------

    def _constraints(self, top: Section) -> Constraints:
        sec = top.section("constraints", CONSTRAINT_KEYS)
        if sec is None:
            return Constraints()
        locations, colocations, orders = [], [], []
        for path, item in sec.items("location"):
            location = self._location(path, item)
            if location is not None:
                locations.append(location)
                self.paths.locations.append(path)
        for path, item in sec.items("colocation"):
            colocation = self._colocation(path, item)
            if colocation is not None:
                colocations.append(colocation)
                self.paths.colocations.append(path)
        for path, item in sec.items("order"):
            order = self._order(path, item)
            if order is not None:
                orders.append(order)
                self.paths.orders.append(path)
        return Constraints(tuple(locations), tuple(colocations), tuple(orders))

    def _location(self, path: str, item: YNode) -> Location | None:
        sec = self.reader.section(item, path, LOCATION_KEYS, ("resource",))
        if sec is None:
            return None
        resource = sec.text("resource")
        node = sec.text("node")
        score = sec.score("score")
        role = _role(sec.choice("role", CONSTRAINT_ROLES, LEGACY_ROLES))
        rules: list[Rule] = []
        given = [k for k in ("node", "rules", "rule") if sec.has(k)]
        if len(given) > 1:
            self.reader.report(Code.CONFIG_CONFLICTING_KEYS,
                               "a location has either 'node' or 'rules', not both"
                               if "node" in given else "'rule' is shorthand for 'rules': "
                               "use one of them", path,
                               found=", ".join(given), allowed="node + score, or rules")
            return None
        if not given:
            self.reader.report(Code.CONFIG_MISSING_KEY, "a location needs 'node' (with 'score') "
                               "or 'rules'", path, allowed="node + score, or rules")
            return None
        if node is not None and score is None and not sec.has("score"):
            self.reader.report(Code.CONFIG_MISSING_KEY, "'score' is required with 'node'",
                               sec.key_path("score"),
                               hint="e.g. score: 100 to prefer, -INFINITY to forbid")
        if given[0] != "node" and sec.has("score"):
            self.reader.report(Code.CONFIG_CONFLICTING_KEYS, "a location with rules has no "
                               "score of its own", sec.key_path("score"),
                               hint="put the score on each rule")
        rule_node = sec.get("rule")
        if rule_node is not None:
            rules = [self._rule(sec.key_path("rule"), rule_node)]
        else:
            rules = [self._rule(p, i) for p, i in sec.items("rules")]
        if resource is None or (given[0] == "node" and node is None):
            return None
        return Location(id=sec.text("id") or "", resource=resource,
                        score=0 if score is None else score, node=node,
                        rules=tuple(rules), role=role)

    def _rule(self, path: str, item: YNode) -> Rule:
        sec = self.reader.section(item, path, RULE_KEYS, ("score", "expressions"))
        if sec is None:
            return Rule(score=0, expressions=())
        score = sec.score("score")
        return Rule(
            score=0 if score is None else score,
            expressions=tuple(self._expression(p, i) for p, i in sec.items("expressions")),
            boolean_op=cast(BooleanOp, sec.choice("boolean-op", BOOLEAN_OPS) or "and"),
            role=_role(sec.choice("role", CONSTRAINT_ROLES, LEGACY_ROLES)),
        )

    def _expression(self, path: str, item: YNode) -> Expression:
        sec = self.reader.section(item, path, EXPRESSION_KEYS, ("attribute", "op"))
        if sec is None:
            return Expression(attribute="", operation="defined")
        op = sec.choice("op", EXPRESSION_OPS) or "eq"
        value_type = sec.choice("type", EXPRESSION_TYPES) or "string"
        return Expression(
            attribute=sec.text("attribute") or "",
            operation=cast(ExpressionOp, op),
            value=sec.text("value"),
            type=cast(ExpressionType, value_type),
        )

    def _colocation(self, path: str, item: YNode) -> Colocation | None:
        sec = self.reader.section(item, path, COLOCATION_KEYS, ("resource", "with"))
        if sec is None:
            return None
        resource, with_resource = sec.text("resource"), sec.text("with")
        score = sec.score("score")
        resource_role = _role(sec.choice("resource-role", CONSTRAINT_ROLES, LEGACY_ROLES))
        with_role = _role(sec.choice("with-role", CONSTRAINT_ROLES, LEGACY_ROLES))
        if resource is None or with_resource is None:
            return None
        return Colocation(id=sec.text("id") or "", resource=resource,
                          with_resource=with_resource,
                          score=INFINITY if score is None else score,
                          resource_role=resource_role, with_role=with_role)

    def _order(self, path: str, item: YNode) -> Order | None:
        sec = self.reader.section(item, path, ORDER_KEYS, ("first", "then"))
        if sec is None:
            return None
        first, then = sec.text("first"), sec.text("then")
        first_action = cast(ActionName, sec.choice("first-action", ACTIONS) or "start")
        then_action = cast(ActionName | None, sec.choice("then-action", ACTIONS))
        kind = sec.choice("kind", ORDER_KINDS)
        symmetrical = sec.boolean("symmetrical")
        if first is None or then is None:
            return None
        return Order(id=sec.text("id") or "", first=first, then=then,
                     first_action=first_action, then_action=then_action,
                     kind=cast(OrderKind, kind or "Mandatory"),
                     symmetrical=symmetrical)

    def _with_ids(self, config: ClusterConfig, constraints: Constraints) -> Constraints:
        """Give each constraint without an id a readable, unique one."""
        taken = {r.id for r in config.iter_resources()} | {d.id for d in config.fence_devices}
        taken |= {c.id for c in constraints.locations if c.id}
        taken |= {c.id for c in constraints.colocations if c.id}
        taken |= {c.id for c in constraints.orders if c.id}

        def unique(base: str, first_suffix: int | None = None) -> str:
            candidate = base if first_suffix is None else f"{base}-{first_suffix}"
            suffix = first_suffix or 0
            while candidate in taken:
                suffix += 1
                candidate = f"{base}-{suffix}"
            taken.add(candidate)
            return candidate

        locations = tuple(
            loc if loc.id else dataclasses.replace(loc, id=unique(
                f"location-{loc.resource}-{loc.node}" if loc.node is not None
                else f"location-{loc.resource}-rule", None if loc.node is not None else 1))
            for loc in constraints.locations)
        colocations = tuple(
            col if col.id else dataclasses.replace(
                col, id=unique(f"colocation-{col.resource}-{col.with_resource}"))
            for col in constraints.colocations)
        orders = tuple(
            order if order.id else dataclasses.replace(
                order, id=unique(f"order-{order.first}-{order.then}"))
            for order in constraints.orders)
        return Constraints(locations, colocations, orders)

    # --- fencing ---------------------------------------------------------------------

    def _fencing(self, top: Section) -> list[FenceDevice]:
        sec = top.section("fencing", FENCING_KEYS)
        if sec is None:
            return []
        devices = []
        for path, item in sec.items("devices"):
            dev = self.reader.section(item, path, DEVICE_KEYS, ("id", "agent"))
            if dev is None:
                continue
            device_id, agent = dev.text("id"), dev.text("agent")
            timeout = dev.duration("timeout")
            params = dev.string_map("params")
            targets = dev.text_list("targets")
            if device_id is None or agent is None:
                continue
            devices.append(FenceDevice(id=device_id, agent=agent, params=frozen_map(params),
                                       targets=tuple(targets or ()),
                                       timeout=60.0 if timeout is None else timeout))
            self.paths.fence_devices.append(path)
        return devices


    def _topology(self, top: Section) -> list[FenceLevel]:
        sec = top.section("fencing", FENCING_KEYS)
        if sec is None:
            return []
        levels = []
        for path, item in sec.items("topology"):
            entry = self.reader.section(item, path, TOPOLOGY_KEYS, ("target", "levels"))
            if entry is None:
                continue
            target = entry.text("target")
            for index, (level_path, level) in enumerate(entry.items("levels")):
                devices = self.reader.names(level, level_path)
                if target is not None:
                    levels.append(FenceLevel(target, index + 1, tuple(devices)))
                    self.paths.fence_levels.append(level_path)
        return levels


# --- small conversions from checked strings to the model's literal types --------------


def _either(words: tuple[str, ...]) -> str:
    quoted = [f"'{w}'" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _bool(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _threshold(score: int | None) -> int | None:
    """migration-threshold 0 means "never ban", like INFINITY: store it as INFINITY."""
    return INFINITY if score == 0 else score


def _role(text: str | None) -> Role | None:
    return Role(text) if text is not None else None
