"""What a configuration means: the checks that look across fields, sections and resources.

``validate_config`` works on the typed model alone, so it also checks models built by
other means (the Pacemaker importer); given the loader's ``SourceMap`` it adds file lines
and stays quiet about values that already failed to parse.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hafailover.config.model import (
    Clone,
    ClusterConfig,
    Group,
    Primitive,
    Resource,
    Role,
    iter_tree,
)
from hafailover.config.order_cycles import find_order_cycles
from hafailover.config.yamlsource import SourceMap
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity, did_you_mean

RESOURCE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
AGENT_STANDARDS = ("builtin", "ocf", "systemd", "lsb", "service")
PROMOTED_ROLES = (Role.PROMOTED, Role.UNPROMOTED)
MAX_NODE_ID = 2**32 - 1  # unsigned 32-bit, as corosync node ids


@dataclass
class ConfigPaths:
    """The key path each model item was read from (model order, items may be skipped)."""

    nodes: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # aligned with iter_resources()
    locations: list[str] = field(default_factory=list)
    colocations: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    fence_devices: list[str] = field(default_factory=list)
    fence_levels: list[str] = field(default_factory=list)

    @classmethod
    def from_model(cls, config: ClusterConfig) -> ConfigPaths:
        """The paths a model would have if it were written out as YAML in its own order."""
        paths = cls(
            nodes=[f"nodes[{i}]" for i in range(len(config.nodes))],
            locations=[f"constraints.location[{i}]"
                       for i in range(len(config.constraints.locations))],
            colocations=[f"constraints.colocation[{i}]"
                         for i in range(len(config.constraints.colocations))],
            orders=[f"constraints.order[{i}]" for i in range(len(config.constraints.orders))],
            fence_devices=[f"fencing.devices[{i}]" for i in range(len(config.fence_devices))],
        )

        def walk(resource: Resource, path: str) -> None:
            paths.resources.append(path)
            if isinstance(resource, Group):
                for index, member in enumerate(resource.members):
                    walk(member, f"{path}.members[{index}]")
            elif isinstance(resource, Clone):
                walk(resource.child, f"{path}.resource")

        for index, resource in enumerate(config.resources):
            walk(resource, f"resources[{index}]")
        return paths


def validate_config(config: ClusterConfig, source: SourceMap | None = None,
                    paths: ConfigPaths | None = None,
                    filename: str | None = None) -> list[Report]:
    """Every semantic problem in ``config``: errors and warnings, in check order."""
    checker = _Checker(config, source or SourceMap(), paths or ConfigPaths.from_model(config),
                       filename)
    checker.run()
    return checker.reports


class _Checker:
    def __init__(self, config: ClusterConfig, source: SourceMap, paths: ConfigPaths,
                 filename: str | None) -> None:
        self.config = config
        self.source = source
        self.paths = paths
        self.filename = filename
        self.reports: list[Report] = []
        self.resource_path: dict[str, str] = {}
        for resource, path in zip(config.iter_resources(), paths.resources, strict=False):
            self.resource_path.setdefault(resource.id, path)
        self.top_ids = {r.id for r in config.resources}
        self.top_of: dict[str, Resource] = {}
        for top in config.resources:
            for resource in iter_tree(top):
                self.top_of.setdefault(resource.id, top)

    def report(self, code: Code, message: str, path: str, *, warning: bool = False,
               found: str | None = None, allowed: str | None = None, hint: str | None = None,
               depends: Iterable[str] = ()) -> None:
        if any(self.source.is_invalid(p) for p in (path, *depends)):
            return
        self.reports.append(Report(
            code=code, severity=Severity.WARNING if warning else Severity.ERROR,
            message=message, file=self.filename, line=self.source.line(path),
            path=path or None, found=found, allowed=allowed, hint=hint,
        ))

    def run(self) -> None:
        self.check_cluster()
        self.check_nodes()
        self.check_heartbeat()
        self.check_quorum()
        self.check_defaults()
        self.check_resources()
        self.check_ids()
        self.check_locations()
        self.check_colocations()
        self.check_orders()
        self.check_fencing()

    # --- cluster, nodes, heartbeat, quorum ---------------------------------------------

    def check_cluster(self) -> None:
        name = self.config.name
        if name and not NODE_NAME.match(name):
            self.report(Code.CONFIG_INVALID_ID, "not a valid cluster name", "cluster.name",
                        found=f"'{name}'", allowed="letters, digits, '_', '.', '-'")

    def check_nodes(self) -> None:
        if not self.config.nodes and not self.source.invalid_under("nodes"):
            self.report(Code.CONFIG_VALUE, "a cluster needs at least one node", "nodes",
                        found="no nodes")
        names: dict[str, str] = {}
        ids: dict[int, str] = {}
        addresses: dict[tuple[str, str], str] = {}
        links = {link.name for link in self.config.heartbeat.links}
        for node, path in zip(self.config.nodes, self.paths.nodes, strict=False):
            if not NODE_NAME.match(node.name):
                self.report(Code.CONFIG_INVALID_ID, "not a valid node name", f"{path}.name",
                            found=f"'{node.name}'",
                            allowed="a letter or digit, then letters, digits, '_', '.', '-'")
            if node.name in names:
                self.report(Code.CONFIG_DUPLICATE_NAME, f"node '{node.name}' is defined twice",
                            f"{path}.name", found=f"'{node.name}'",
                            hint=self.first_at(names[node.name]))
            names.setdefault(node.name, f"{path}.name")
            if not 1 <= node.node_id <= MAX_NODE_ID:
                self.report(Code.CONFIG_VALUE, "not a valid node id", f"{path}.id",
                            found=str(node.node_id), allowed=f"an integer from 1 to {MAX_NODE_ID}")
            elif node.node_id in ids:
                self.report(Code.CONFIG_DUPLICATE_NODE_ID,
                            f"node id {node.node_id} is used twice", f"{path}.id",
                            found=str(node.node_id), depends=[f"{path}.name"],
                            hint=self.first_at(ids[node.node_id]) + "; without 'id' a node's "
                            "id is its position in the list (1, 2, ...)")
            ids.setdefault(node.node_id, f"{path}.id")
            if node.votes < 0:
                self.report(Code.CONFIG_VALUE, "votes cannot be negative", f"{path}.votes",
                            found=str(node.votes), allowed="an integer >= 0")
            self.check_addresses(node.name, node.addresses, f"{path}.addresses", links,
                                 addresses)
            if self.config.heartbeat.transport == "unicast":
                for link in sorted(links - set(node.addresses)):
                    self.report(Code.CONFIG_MISSING_ADDRESS,
                                f"node '{node.name}' has no address on link '{link}'",
                                f"{path}.addresses", depends=["heartbeat.links"],
                                hint="unicast heartbeats are sent to each node's address "
                                "on every link")

    def check_addresses(self, name: str, node_addresses: Mapping[str, str], path: str,
                        links: set[str], seen: dict[tuple[str, str], str]) -> None:
        for link, address in node_addresses.items():
            link_path = f"{path}.{link}"
            if link not in links:
                self.report(Code.CONFIG_UNKNOWN_LINK, f"'{link}' is not a heartbeat link",
                            link_path, found=f"'{link}'", allowed=", ".join(sorted(links)),
                            hint=did_you_mean(link, links) or "add it to heartbeat.links",
                            depends=["heartbeat.links"])
            try:
                ipaddress.ip_address(address)
            except ValueError:
                self.report(Code.CONFIG_VALUE, "not an IP address", link_path,
                            found=f"'{address}'", allowed="an IPv4 or IPv6 address")
                continue
            if (link, address) in seen:
                self.report(Code.CONFIG_DUPLICATE_ADDRESS,
                            f"node '{name}' uses {address} on '{link}', like another node",
                            link_path, found=address, hint=self.first_at(seen[(link, address)]))
            seen.setdefault((link, address), link_path)

    def check_heartbeat(self) -> None:
        beat = self.config.heartbeat
        if beat.interval <= 0:
            self.report(Code.CONFIG_TIMING, "the heartbeat interval must be more than 0",
                        "heartbeat.interval", found=f"{beat.interval:g}s")
        elif beat.dead_time <= beat.interval:
            self.report(Code.CONFIG_TIMING, "dead-time must be longer than the heartbeat interval",
                        "heartbeat.dead-time", depends=["heartbeat.interval"],
                        found=f"dead-time {beat.dead_time:g}s, interval {beat.interval:g}s",
                        allowed="dead-time > interval (3 x interval or more is advised)",
                        hint="otherwise every node is suspected between two heartbeats")
        elif beat.dead_time < 3 * beat.interval:
            self.report(Code.CONFIG_TIMING_MARGIN, "dead-time is less than 3 heartbeat intervals",
                        "heartbeat.dead-time", warning=True, depends=["heartbeat.interval"],
                        found=f"dead-time {beat.dead_time:g}s, interval {beat.interval:g}s",
                        hint="one lost or late packet away from a false suspicion and a "
                        "needless failover: make dead-time at least 3 x interval")
        peer = self.config.peer
        if not 1 <= peer.port <= 65535:
            self.report(Code.CONFIG_VALUE, "not a port number", "peer.port",
                        found=str(peer.port), allowed="1 ... 65535")
        if peer.probe_timeout <= 0:
            self.report(Code.CONFIG_TIMING, "the probe timeout must be more than 0",
                        "peer.probe-timeout", found=f"{peer.probe_timeout:g}s")
        elif peer.probe_timeout > beat.dead_time:
            self.report(Code.CONFIG_TIMING_MARGIN, "probe-timeout is longer than dead-time",
                        "peer.probe-timeout", warning=True, depends=["heartbeat.dead-time"],
                        found=f"probe-timeout {peer.probe_timeout:g}s, "
                        f"dead-time {beat.dead_time:g}s",
                        hint="a dead node is declared lost only after the probe times out: "
                        "a long probe slows every failover")
        if not beat.links and not self.source.invalid_under("heartbeat.links"):
            self.report(Code.CONFIG_VALUE, "at least one heartbeat link is needed",
                        "heartbeat.links", found="no links")
        names: dict[str, str] = {}
        for index, link in enumerate(beat.links):
            path = f"heartbeat.links[{index}]"
            if link.name in names:
                self.report(Code.CONFIG_DUPLICATE_LINK, f"link '{link.name}' is defined twice",
                            f"{path}.name", hint=self.first_at(names[link.name]))
            names.setdefault(link.name, f"{path}.name")
            if not 1 <= link.port <= 65535:
                self.report(Code.CONFIG_VALUE, "not a UDP port", f"{path}.port",
                            found=str(link.port), allowed="1 to 65535")
            self.check_multicast(beat.transport, link.multicast_group, path)

    def check_multicast(self, transport: str, group: str | None, path: str) -> None:
        group_path = f"{path}.multicast-group"
        if transport == "unicast":
            if group is not None:
                self.report(Code.CONFIG_IGNORED,
                            "multicast-group is ignored with unicast transport",
                            group_path, warning=True, found=group, depends=["heartbeat.transport"])
            return
        if group is None:
            self.report(Code.CONFIG_MULTICAST, "a multicast link needs a multicast-group",
                        group_path, depends=["heartbeat.transport"],
                        hint="e.g. multicast-group: 239.192.88.1, or transport: unicast")
            return
        try:
            is_multicast = ipaddress.ip_address(group).is_multicast
        except ValueError:
            is_multicast = False
        if not is_multicast:
            self.report(Code.CONFIG_MULTICAST, "not a multicast address", group_path,
                        found=f"'{group}'",
                        allowed="224.0.0.0/4 or ff00::/8, e.g. 239.192.88.1")

    def check_quorum(self) -> None:
        quorum = self.config.quorum
        count = len(self.config.nodes)
        if quorum.two_node and count != 2 and not self.source.invalid_under("nodes"):
            self.report(Code.CONFIG_TWO_NODE, f"two-node is for clusters of exactly 2 nodes, "
                        f"this one has {count}", "quorum.two-node", found=f"{count} nodes",
                        hint="remove two-node: a cluster of 3 or more keeps quorum by majority")
        total = sum(n.votes for n in self.config.nodes)
        if quorum.expected_votes is not None:
            if quorum.expected_votes < 1:
                self.report(Code.CONFIG_VALUE, "expected-votes is 1 or more",
                            "quorum.expected-votes", found=str(quorum.expected_votes))
            elif quorum.expected_votes < total:
                self.report(Code.CONFIG_QUORUM_VOTES,
                            f"expected-votes {quorum.expected_votes} is less than the "
                            f"{total} votes of the configured nodes", "quorum.expected-votes",
                            warning=True, hint="two partitions could both reach quorum")

    def check_defaults(self) -> None:
        props = self.config.properties
        if not props.stonith_enabled:
            self.report(Code.CONFIG_STONITH_DISABLED, "fencing (stonith) is disabled",
                        "properties.stonith-enabled", warning=True,
                        hint="a node that stops answering but still runs its resources "
                        "cannot be stopped: the survivors start them too (split brain, "
                        "two nodes holding the VIP, corrupted shared data)")
        elif (not self.config.fence_devices and not self.source.invalid_under("fencing")
              and props.watchdog_timeout == 0):
            self.report(Code.CONFIG_NO_FENCE_DEVICES,
                        "stonith-enabled is true but no fencing device is configured",
                        "fencing" if "fencing" in self.source.lines else "",
                        warning=True, hint="the resources of an unclean node are not "
                        "recovered elsewhere until someone confirms the node is down "
                        "(hactl fence confirm); configure a device, or set "
                        "properties.watchdog-timeout for self-fencing")
        threshold = self.config.defaults.migration_threshold
        if threshold < 0:
            self.report(Code.CONFIG_VALUE, "migration-threshold cannot be negative",
                        "resource-defaults.migration-threshold", found=str(threshold),
                        allowed="a count >= 1, or 0 / INFINITY for never")

    # --- resources ---------------------------------------------------------------------

    def promotable_scope(self, rid: str) -> bool:
        """Whether ``rid`` is a promotable clone or lives inside one."""
        top = self.top_of.get(rid)
        return isinstance(top, Clone) and top.promotable

    def check_resources(self) -> None:
        for resource, path in zip(self.config.iter_resources(), self.paths.resources,
                                  strict=False):
            id_key = ("primitive" if isinstance(resource, Primitive)
                      else "group" if isinstance(resource, Group) else "clone")
            if not RESOURCE_ID.match(resource.id):
                self.report(Code.CONFIG_INVALID_ID, "not a valid resource id", f"{path}.{id_key}",
                            found=f"'{resource.id}'",
                            allowed="a letter or '_', then letters, digits, '_', '.', '-'")
            meta = resource.meta
            if meta.target_role in PROMOTED_ROLES and not self.promotable_scope(resource.id):
                self.report(Code.CONFIG_ROLE, f"target-role {meta.target_role} needs a "
                            "promotable clone", f"{path}.meta.target-role",
                            allowed="Started or Stopped")
            if meta.migration_threshold is not None and meta.migration_threshold < 0:
                self.report(Code.CONFIG_VALUE, "migration-threshold cannot be negative",
                            f"{path}.meta.migration-threshold")
            if isinstance(resource, Primitive):
                self.check_primitive(resource, path)
            elif isinstance(resource, Group) and not resource.members:
                if not self.source.invalid_under(f"{path}.members"):
                    self.report(Code.CONFIG_VALUE, f"group '{resource.id}' has no members",
                                f"{path}.members", allowed="one or more primitives")
            elif isinstance(resource, Clone):
                self.check_clone(resource, path)

    def check_primitive(self, primitive: Primitive, path: str) -> None:
        agent = primitive.agent
        agent_path = f"{path}.agent"
        if agent.standard not in AGENT_STANDARDS:
            self.report(Code.CONFIG_AGENT, f"unknown agent standard '{agent.standard}'",
                        agent_path, found=f"'{agent}'", allowed=", ".join(AGENT_STANDARDS),
                        hint=did_you_mean(agent.standard, AGENT_STANDARDS))
        elif agent.standard == "ocf" and not agent.provider:
            self.report(Code.CONFIG_AGENT, "an ocf agent needs a provider", agent_path,
                        found=f"'{agent}'", allowed="ocf:PROVIDER:TYPE",
                        hint=f"e.g. ocf:heartbeat:{agent.type}")
        elif agent.standard != "ocf" and agent.provider:
            self.report(Code.CONFIG_AGENT, f"{agent.standard} agents have no provider",
                        agent_path, found=f"'{agent}'", allowed=f"{agent.standard}:TYPE")
        seen: dict[tuple[str, float, Role | None], str] = {}
        for index, op in enumerate(primitive.operations):
            op_path = f"{path}.operations[{index}]"
            if op.timeout <= 0:
                self.report(Code.CONFIG_TIMING, "an operation timeout must be more than 0",
                            f"{op_path}.timeout", found=f"{op.timeout:g}s")
            if op.role is not None and not self.promotable_scope(primitive.id):
                self.report(Code.CONFIG_ROLE, f"role {op.role} is only for resources in a "
                            "promotable clone", f"{op_path}.role",
                            hint="remove role, or make the clone promotable")
            key = (op.name, op.interval, op.role)
            if key in seen:
                self.report(Code.CONFIG_DUPLICATE_OPERATION,
                            f"a second '{op.name}' with interval {op.interval:g}s",
                            op_path, depends=[f"{op_path}.name", f"{op_path}.interval"],
                            hint=self.first_at(seen[key]) + "; give each its own interval")
            seen.setdefault(key, op_path)

    def check_clone(self, clone: Clone, path: str) -> None:
        if clone.clone_max is not None and clone.clone_max < 1:
            self.report(Code.CONFIG_VALUE, "clone-max is 1 or more", f"{path}.clone-max",
                        found=str(clone.clone_max), allowed="an integer >= 1")
        if clone.clone_node_max < 1:
            self.report(Code.CONFIG_VALUE, "clone-node-max is 1 or more", f"{path}.clone-node-max",
                        found=str(clone.clone_node_max), allowed="an integer >= 1")
        if not clone.promotable:
            for key in ("promoted-max", "promoted-node-max"):
                if f"{path}.{key}" in self.source.lines:
                    self.report(Code.CONFIG_IGNORED, f"{key} is ignored: the clone is not "
                                "promotable", f"{path}.{key}", warning=True,
                                hint="add promotable: true")
            return
        for key, value in (("promoted-max", clone.promoted_max),
                           ("promoted-node-max", clone.promoted_node_max)):
            if value < 1:
                self.report(Code.CONFIG_VALUE, f"{key} is 1 or more", f"{path}.{key}",
                            found=str(value), allowed="an integer >= 1")
        if (clone.clone_max is not None and clone.clone_max >= 1
                and clone.promoted_max > clone.clone_max):
            self.report(Code.CONFIG_CLONE, "more promoted instances than instances",
                        f"{path}.promoted-max", depends=[f"{path}.clone-max"],
                        found=f"promoted-max {clone.promoted_max}, clone-max {clone.clone_max}",
                        allowed=f"promoted-max <= clone-max ({clone.clone_max})")

    def check_ids(self) -> None:
        """Resources, constraints and fencing devices share one id namespace."""
        seen: dict[str, str] = {}
        items: list[tuple[str, str]] = []
        for resource, path in zip(self.config.iter_resources(), self.paths.resources,
                                  strict=False):
            kind = ("primitive" if isinstance(resource, Primitive)
                    else "group" if isinstance(resource, Group) else "clone")
            items.append((resource.id, f"{path}.{kind}"))
        for device, path in zip(self.config.fence_devices, self.paths.fence_devices,
                                strict=False):
            items.append((device.id, f"{path}.id"))
        constraints = self.config.constraints
        for ident, path in (
                *zip((c.id for c in constraints.locations), self.paths.locations, strict=False),
                *zip((c.id for c in constraints.colocations), self.paths.colocations,
                     strict=False),
                *zip((c.id for c in constraints.orders), self.paths.orders, strict=False)):
            items.append((ident, f"{path}.id"))
            if not RESOURCE_ID.match(ident):
                self.report(Code.CONFIG_INVALID_ID, "not a valid constraint id", f"{path}.id",
                            found=f"'{ident}'",
                            allowed="a letter or '_', then letters, digits, '_', '.', '-'")
        for ident, path in items:
            if ident in seen:
                self.report(Code.CONFIG_DUPLICATE_ID, f"the id '{ident}' is used twice", path,
                            found=f"'{ident}'", hint=self.first_at(seen[ident])
                            + "; resource, constraint and fencing ids are unique together")
            seen.setdefault(ident, path)

    # --- constraints -------------------------------------------------------------------

    def check_reference(self, rid: str, path: str) -> Resource | None:
        """The top-level resource ``rid`` names, or None after reporting why not."""
        if rid in self.top_ids:
            return self.config.top_resource(rid)
        if rid in self.source.broken_ids:
            return None
        top = self.top_of.get(rid)
        if top is not None:
            kind = "group" if isinstance(top, Group) else "clone"
            self.report(Code.CONFIG_CHILD_RESOURCE, f"'{rid}' is inside {kind} '{top.id}' and "
                        "cannot be constrained on its own", path, found=f"'{rid}'",
                        hint=f"constrain the {kind} '{top.id}' instead")
            return None
        self.report(Code.CONFIG_UNKNOWN_RESOURCE, f"no resource is called '{rid}'", path,
                    found=f"'{rid}'", hint=did_you_mean(rid, self.top_ids))
        return None

    def check_role(self, role: Role | None, resource: Resource | None, path: str) -> None:
        if role in PROMOTED_ROLES and resource is not None and not (
                isinstance(resource, Clone) and resource.promotable):
            self.report(Code.CONFIG_ROLE, f"role {role} needs a promotable clone, and "
                        f"'{resource.id}' is not one", path, found=str(role),
                        allowed="Started", hint="remove the role, or make the clone "
                        "promotable: true")

    def check_node_name(self, name: str, path: str, warning: bool = False) -> None:
        names = self.config.node_names()
        if name not in names and name not in self.source.broken_ids:
            self.report(Code.CONFIG_UNKNOWN_NODE, f"no node is called '{name}'", path,
                        found=f"'{name}'", allowed=", ".join(names), warning=warning,
                        hint=did_you_mean(name, names))

    def check_locations(self) -> None:
        for loc, path in zip(self.config.constraints.locations, self.paths.locations,
                             strict=False):
            resource = self.check_reference(loc.resource, f"{path}.resource")
            self.check_role(loc.role, resource, f"{path}.role")
            if loc.node is not None:
                self.check_node_name(loc.node, f"{path}.node")
                continue
            if not loc.rules and not self.source.invalid_under(path):
                self.report(Code.CONFIG_VALUE, "a location needs at least one rule",
                            f"{path}.rules", found="no rules")
            for index, rule in enumerate(loc.rules):
                rule_path = f"{path}.rules[{index}]" if f"{path}.rule" not in \
                    self.source.lines else f"{path}.rule"
                self.check_role(rule.role, resource, f"{rule_path}.role")
                if not rule.expressions and not self.source.invalid_under(
                        f"{rule_path}.expressions"):
                    self.report(Code.CONFIG_VALUE, "a rule needs at least one expression",
                                f"{rule_path}.expressions")
                for number, expr in enumerate(rule.expressions):
                    self.check_expression(expr.attribute, expr.operation, expr.value,
                                          expr.type, f"{rule_path}.expressions[{number}]")

    def check_expression(self, attribute: str, op: str, value: str | None, kind: str,
                         path: str) -> None:
        if op in ("defined", "not_defined"):
            if value is not None:
                self.report(Code.CONFIG_IGNORED, f"'value' is ignored with op {op}",
                            f"{path}.value", warning=True)
            return
        if value is None:
            self.report(Code.CONFIG_MISSING_KEY, f"'value' is required with op {op}",
                        f"{path}.value", depends=[f"{path}.op"])
            return
        valid = True
        if kind == "integer":
            valid = re.fullmatch(r"[+-]?[0-9]+", value.strip()) is not None
        elif kind == "number":
            try:
                float(value)
            except ValueError:
                valid = False
        elif kind == "version":
            valid = VERSION.match(value) is not None
        if not valid:
            self.report(Code.CONFIG_VALUE, f"not a valid {kind}", f"{path}.value",
                        found=f"'{value}'", depends=[f"{path}.type"])
        if attribute == "#uname" and op in ("eq", "ne"):
            self.check_node_name(value, f"{path}.value", warning=True)

    def check_colocations(self) -> None:
        for col, path in zip(self.config.constraints.colocations, self.paths.colocations,
                             strict=False):
            resource = self.check_reference(col.resource, f"{path}.resource")
            target = self.check_reference(col.with_resource, f"{path}.with")
            if col.resource == col.with_resource:
                self.report(Code.CONFIG_SELF_REFERENCE, f"'{col.resource}' is colocated with "
                            "itself", f"{path}.with", found=f"'{col.with_resource}'")
                continue
            self.check_role(col.resource_role, resource, f"{path}.resource-role")
            self.check_role(col.with_role, target, f"{path}.with-role")

    def check_orders(self) -> None:
        for order, path in zip(self.config.constraints.orders, self.paths.orders,
                               strict=False):
            first = self.check_reference(order.first, f"{path}.first")
            then = self.check_reference(order.then, f"{path}.then")
            if order.first == order.then:
                self.report(Code.CONFIG_SELF_REFERENCE, f"'{order.first}' is ordered after "
                            "itself", f"{path}.then", found=f"'{order.then}'")
                continue
            then_key = "then-action" if order.then_action else "first-action"
            for action, resource, key in ((order.first_action, first, "first-action"),
                                          (order.effective_then_action, then, then_key)):
                if action in ("promote", "demote") and resource is not None and not (
                        isinstance(resource, Clone) and resource.promotable):
                    self.report(Code.CONFIG_ROLE, f"'{resource.id}' cannot {action}: it is "
                                "not a promotable clone", f"{path}.{key}",
                                found=action, allowed="start or stop")
        for cycle in find_order_cycles(self.config):
            paths = [self.paths.orders[i] for i in cycle.orders if i < len(self.paths.orders)]
            ids = [self.config.constraints.orders[i].id for i in cycle.orders]
            settings = [f"{p}.{key}" for p in paths
                        for key in ("kind", "first-action", "then-action", "symmetrical")]
            self.report(Code.CONFIG_ORDER_CYCLE, "Mandatory orders form a cycle: "
                        + " -> ".join(cycle.steps), paths[0] if paths else "constraints.order",
                        found=", ".join(ids), depends=paths + settings,
                        hint="nothing in the cycle could ever start: remove one of these "
                        "orders or make it kind: Optional")

    def check_fencing(self) -> None:
        for device, path in zip(self.config.fence_devices, self.paths.fence_devices,
                                strict=False):
            if device.timeout <= 0:
                self.report(Code.CONFIG_TIMING, "a fencing timeout must be more than 0",
                            f"{path}.timeout", found=f"{device.timeout:g}s")
            for index, target in enumerate(device.targets):
                self.check_node_name(target, f"{path}.targets[{index}]")
        by_id = {d.id: d for d in self.config.fence_devices}
        for level, path in zip(self.config.fence_topology, self.paths.fence_levels,
                               strict=False):
            target_path = path.rsplit(".levels", 1)[0] + ".target"
            if self.config.node(level.target) is None:
                self.check_node_name(level.target, target_path)
                continue
            if not level.devices:
                self.report(Code.CONFIG_VALUE, "a fencing level needs at least one device", path,
                            found="[]")
            for index, name in enumerate(level.devices):
                found = by_id.get(name)
                if found is None:
                    self.report(Code.CONFIG_UNKNOWN_DEVICE, f"no fencing device '{name}'",
                                f"{path}[{index}]", found=f"'{name}'",
                                hint=did_you_mean(name, by_id) or "add it to fencing.devices")
                    continue
                if found.targets and level.target not in found.targets:
                    self.report(Code.CONFIG_VALUE, f"device '{name}' cannot fence "
                                f"'{level.target}'", f"{path}[{index}]",
                                found=f"targets {', '.join(found.targets)}",
                                hint=f"add {level.target} to that device's targets")
        self.check_self_fencing()

    def check_self_fencing(self) -> None:
        props = self.config.properties
        watchdog = props.watchdog_timeout
        floor = max(1.0, 5 * self.config.heartbeat.interval)
        if 0 < watchdog < floor:
            self.report(Code.CONFIG_TIMING, "watchdog-timeout is too short",
                        "properties.watchdog-timeout", depends=["heartbeat.interval"],
                        found=f"{watchdog:g}s", allowed=f"0 (off), or {floor:g}s or more",
                        hint="the watchdog would stop the resources of an agent that is "
                        "only busy for a moment")
        if (self.config.quorum.two_node and props.stonith_enabled
                and self.config.fence_devices and props.priority_fencing_delay == 0):
            self.report(Code.CONFIG_FENCE_RACE, "two nodes can fence each other at once",
                        "properties.priority-fencing-delay", warning=True,
                        depends=["quorum.two-node"],
                        hint="when the link between them fails, both may power the other "
                        "off; set priority-fencing-delay (e.g. 5s) so that one side wins")

    def first_at(self, path: str) -> str:
        line = self.source.line(path)
        return f"first defined at line {line}" if line else f"first defined at {path}"
