"""Read a Pacemaker CIB (configuration and status) into hafailover's model.

``read_cib`` never raises for bad input: every problem, including XML that does not
parse, becomes a ``Report``. Features hafailover does not model are reported with a code
starting ``PCMK_UNSUPPORTED`` that names the element and its id, and are left out.

This module reads the configuration section; ``cib_status`` reads the status section
the way Pacemaker's scheduler does, and ``cib_values`` holds the small parsers both use.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args
from xml.parsers import expat

from hafailover.config.model import (
    ActionName,
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Expression,
    FenceDevice,
    Group,
    Location,
    Meta,
    MultipleActive,
    Node,
    NoQuorumPolicy,
    Operation,
    Order,
    OrderKind,
    Primitive,
    Properties,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    frozen_map,
)
from hafailover.config.scores import INFINITY, parse_score
from hafailover.core.state import ClusterState
from hafailover.pacemaker.cib_status import StatusReader
from hafailover.pacemaker.cib_values import (
    ROLE_NAMES,
    parse_bool,
    parse_duration,
)
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity

# --- the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class CibImport:
    config: ClusterConfig | None
    state: ClusterState | None
    reports: tuple[Report, ...]

    @property
    def ok(self) -> bool:
        return self.config is not None and not any(
            r.severity is Severity.ERROR for r in self.reports)


# --- XML with line numbers -------------------------------------------------------------


def _build_tree(xml_text: str) -> tuple[ET.Element, dict[int, int]]:
    """Parse with expat, remembering the line each element starts on.

    Raises ET.ParseError (with ``position``) for XML that is not well-formed.
    """
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[id(builder.start(tag, attrs))] = parser.CurrentLineNumber

    def end(tag: str) -> None:
        builder.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(xml_text, True)
    except expat.ExpatError as exc:
        error = ET.ParseError(f"{expat.ErrorString(exc.code)}: line {exc.lineno}, "
                              f"column {exc.offset}")
        error.position = (exc.lineno, exc.offset)
        raise error from None
    return builder.close(), lines


_KNOWN_PROPERTIES = frozenset({
    "no-quorum-policy", "stonith-enabled", "symmetric-cluster", "maintenance-mode",
    "cluster-recheck-interval", "stop-orphan-resources", "cluster-name",
})
# Properties that describe the running cluster rather than placement: dropped silently.
_IGNORED_PROPERTIES = frozenset({
    "dc-version", "cluster-infrastructure", "have-watchdog", "last-lrm-refresh",
    "dc-deadtime", "election-timeout", "shutdown-escalation", "join-integration-timeout",
    "join-finalization-timeout", "transition-delay", "pe-error-series-max",
    "pe-warn-series-max", "pe-input-series-max", "batch-limit", "migration-limit",
    "stonith-timeout", "stonith-action", "stonith-watchdog-timeout", "fence-reaction",
    "enable-acl", "cluster-ipc-limit", "load-threshold", "node-action-limit",
    "stonith-max-attempts", "concurrent-fencing", "priority-fencing-delay",
    "stop-orphan-actions", "startup-fencing", "node-health-strategy",
})
_DEFAULT_NAMES = frozenset({
    "resource-stickiness", "migration-threshold", "failure-timeout", "priority",
})
_META_NAMES = frozenset({
    "target-role", "resource-stickiness", "migration-threshold", "failure-timeout",
    "priority", "is-managed",
})
_CLONE_META_NAMES = frozenset({
    "clone-max", "clone-node-max", "promotable", "promoted-max", "promoted-node-max",
    "master-max", "master-node-max",
})
# Meta-attributes that change nothing the scheduler decides here: dropped with an info.
_IGNORED_META = frozenset({"description", "interleave", "notify", "ordered", "allow-migrate",
                           "requires", "critical", "maintenance",
                           "restart-type", "container-attribute-target", "remote-node"})
_ON_FAIL = frozenset({"restart", "stop", "ignore", "block", "standby", "fence"})
_ORDER_ACTIONS = frozenset({"start", "stop", "promote", "demote"})
_EXPR_OPS = frozenset({"eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined"})
_EXPR_TYPES: Mapping[str, str] = {"string": "string", "integer": "integer", "int": "integer",
                                   "number": "number", "version": "version"}


# --- the reader ------------------------------------------------------------------------


@dataclass
class _Reader:
    filename: str
    lines: Mapping[int, int]
    reports: list[Report] = field(default_factory=list)
    fence_ids: set[str] = field(default_factory=set)

    # ---- reporting

    def report(self, code: Code, message: str, element: ET.Element | None = None, *,
               severity: Severity = Severity.WARNING, found: str | None = None,
               allowed: str | None = None, hint: str | None = None) -> None:
        line = self.lines.get(id(element)) if element is not None else None
        path = None
        if element is not None:
            path = element.tag + (f" id={element.get('id')}" if element.get("id") else "")
        self.reports.append(Report(
            code=code, severity=severity, message=message, file=self.filename, line=line,
            path=path, found=found, allowed=allowed, hint=hint))

    def unsupported(self, code: Code, what: str, element: ET.Element,
                    hint: str | None = None, severity: Severity = Severity.WARNING) -> None:
        self.report(code, f"{what} is not supported; left out", element,
                    severity=severity, hint=hint)

    def score(self, text: str | None, element: ET.Element, attr: str = "score") -> int | None:
        if text is None:
            return None
        try:
            return parse_score(text)
        except ValueError as exc:
            self.report(Code.PCMK_INVALID_SCORE, str(exc), element, severity=Severity.ERROR,
                        found=f"{attr}={text}", allowed="an integer, INFINITY or -INFINITY")
            return None

    def duration(self, text: str, element: ET.Element, name: str) -> float | None:
        value = parse_duration(text)
        if value is None:
            self.report(Code.PCMK_INVALID_DURATION, f"{name} is not a duration", element,
                        severity=Severity.ERROR, found=text,
                        allowed="seconds, or a number with ms/s/min/h, or ISO 8601 (PT5M)")
        return value

    def boolean(self, text: str, element: ET.Element, name: str) -> bool | None:
        value = parse_bool(text)
        if value is None:
            self.report(Code.PCMK_INVALID_BOOLEAN, f"{name} is not a boolean", element,
                        severity=Severity.ERROR, found=text,
                        allowed="true/false, on/off, yes/no, 1/0")
        return value

    def integer(self, text: str, element: ET.Element, name: str) -> int | None:
        try:
            return int(text.strip())
        except ValueError:
            self.report(Code.PCMK_INVALID_INTEGER, f"{name} is not an integer", element,
                        severity=Severity.ERROR, found=text)
            return None

    # ---- name/value sets

    def nvpairs(self, parent: ET.Element, set_tag: str
                ) -> tuple[dict[str, str], dict[str, ET.Element]]:
        """Merge every ``set_tag`` under ``parent``; the first set naming a key wins."""
        values: dict[str, str] = {}
        where: dict[str, ET.Element] = {}
        for nvset in parent.findall(set_tag):
            if nvset.get("id-ref") is not None:
                self.unsupported(Code.PCMK_UNSUPPORTED_IDREF, f"<{set_tag} id-ref>", nvset)
                continue
            if nvset.find("rule") is not None:
                self.unsupported(Code.PCMK_UNSUPPORTED_NVSET_RULE,
                                 f"a rule inside <{set_tag}>", nvset,
                                 hint="its values are ignored")
                continue
            for pair in nvset.findall("nvpair"):
                name = pair.get("name")
                if name is None:
                    self.report(Code.PCMK_INVALID_NVPAIR, "nvpair without a name", pair,
                                severity=Severity.ERROR)
                    continue
                if pair.get("id-ref") is not None:
                    self.unsupported(Code.PCMK_UNSUPPORTED_IDREF, "<nvpair id-ref>", pair)
                    continue
                if name not in values:
                    values[name] = pair.get("value", "")
                    where[name] = pair
        return values, where

    # ---- configuration sections

    def properties(self, configuration: ET.Element) -> tuple[Properties, str | None]:
        crm_config = configuration.find("crm_config")
        props = Properties()
        if crm_config is None:
            return props, None
        values, where = self.nvpairs(crm_config, "cluster_property_set")
        changes: dict[str, Any] = {}
        for name, value in values.items():
            element = where[name]
            if name == "no-quorum-policy":
                if value in ("stop", "freeze", "ignore"):
                    changes["no_quorum_policy"] = cast(NoQuorumPolicy, value)
                else:
                    self.report(Code.PCMK_UNSUPPORTED_NO_QUORUM_POLICY,
                                f"no-quorum-policy={value} is not supported; using stop",
                                element, found=value, allowed="stop, freeze, ignore")
            elif name in ("stonith-enabled", "symmetric-cluster", "maintenance-mode",
                          "stop-orphan-resources"):
                flag = self.boolean(value, element, name)
                if flag is not None:
                    changes[name.replace("-", "_")] = flag
            elif name == "cluster-recheck-interval":
                seconds = self.duration(value, element, name)
                if seconds is not None:
                    changes["cluster_recheck_interval"] = seconds
            elif name in ("default-resource-stickiness",):
                self.report(Code.PCMK_DEPRECATED_PROPERTY,
                            f"{name} is deprecated; set resource-stickiness in rsc_defaults",
                            element, severity=Severity.WARNING)
            elif name == "placement-strategy" and value == "default":
                continue
            elif name not in _KNOWN_PROPERTIES and name not in _IGNORED_PROPERTIES:
                self.report(Code.PCMK_UNSUPPORTED_PROPERTY,
                            f"cluster property {name} is not supported; left out", element,
                            found=f"{name}={value}")
        return replace(props, **changes), values.get("cluster-name")

    def defaults(self, configuration: ET.Element) -> ResourceDefaults:
        section = configuration.find("rsc_defaults")
        # Pacemaker's failure-timeout default is 0 (never): an imported cluster keeps it
        result = ResourceDefaults(failure_timeout=0.0)
        if section is None:
            return result
        values, where = self.nvpairs(section, "meta_attributes")
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in _DEFAULT_NAMES:
                self.report(Code.PCMK_UNSUPPORTED_RSC_DEFAULT,
                            f"resource default {name} is not supported; left out", where[name],
                            found=f"{name}={value}", allowed=", ".join(sorted(_DEFAULT_NAMES)))
                continue
            parsed = self._meta_value(name, value, where[name])
            if parsed is not None:
                changes[name.replace("-", "_")] = parsed
        return replace(result, **changes)

    def _meta_value(self, name: str, value: str, element: ET.Element) -> int | float | None:
        if name in ("resource-stickiness", "priority"):
            return self.score(value, element, name)
        if name == "migration-threshold":
            threshold = self.score(value, element, name)
            # Pacemaker: 0 disables the threshold, like INFINITY
            return INFINITY if threshold is not None and threshold <= 0 else threshold
        if name == "failure-timeout":
            return self.duration(value, element, name)
        return None

    def meta(self, element: ET.Element, extra: Iterable[str] = ()) -> tuple[Meta, dict[str, str]]:
        """Meta-attributes of a resource; returns the Meta and the names in ``extra``."""
        values, where = self.nvpairs(element, "meta_attributes")
        changes: dict[str, Any] = {}
        wanted = dict.fromkeys(extra)
        others: dict[str, str] = {}
        for name, value in values.items():
            here = where[name]
            if name == "target-role":
                role = ROLE_NAMES.get(value.lower())
                if role is None:
                    self.report(Code.PCMK_INVALID_ROLE, "target-role is not a role", here,
                                severity=Severity.ERROR, found=value,
                                allowed="Stopped, Started, Promoted, Unpromoted")
                else:
                    changes["target_role"] = role.value
            elif name == "is-managed":
                flag = self.boolean(value, here, name)
                if flag is not None:
                    changes["is_managed"] = flag
            elif name == "multiple-active":
                if value in get_args(MultipleActive):
                    changes["multiple_active"] = value
                else:
                    self.report(Code.PCMK_UNSUPPORTED_META, f"multiple-active={value} is not "
                                "supported; left out (stop_start applies)", here,
                                found=f"{name}={value}",
                                allowed=", ".join(get_args(MultipleActive)))
            elif name in _META_NAMES:
                parsed = self._meta_value(name, value, here)
                if parsed is not None:
                    changes[name.replace("-", "_")] = parsed
            elif name in wanted:
                others[name] = value
            elif name in _IGNORED_META:
                self.report(Code.PCMK_IGNORED_META, f"meta-attribute {name} is not modelled; "
                            "ignored", here, severity=Severity.INFO, found=f"{name}={value}")
            else:
                self.report(Code.PCMK_UNSUPPORTED_META,
                            f"meta-attribute {name} is not supported; left out", here,
                            found=f"{name}={value}")
        return Meta(**changes), others

    def nodes(self, configuration: ET.Element
              ) -> tuple[list[Node], dict[str, str], set[str], set[str]]:
        """Config nodes, a node-id -> name map, and names with standby/maintenance set."""
        nodes: list[Node] = []
        ids: dict[str, str] = {}
        standby: set[str] = set()
        maintenance: set[str] = set()
        section = configuration.find("nodes")
        if section is None:
            self.report(Code.PCMK_NO_NODES, "the CIB has no <nodes> section", configuration,
                        severity=Severity.ERROR)
            return nodes, ids, standby, maintenance
        used_ids: set[int] = set()
        pending_ids: list[tuple[int, ET.Element]] = []
        for index, element in enumerate(section.findall("node")):
            uname = element.get("uname")
            if not uname:
                self.report(Code.PCMK_INVALID_NODE, "node without uname", element,
                            severity=Severity.ERROR)
                continue
            if element.get("type", "member") not in ("member", "normal"):
                self.unsupported(Code.PCMK_UNSUPPORTED_NODE_TYPE,
                                 f"node type {element.get('type')}", element)
                continue
            if any(n.name == uname for n in nodes):
                self.report(Code.PCMK_DUPLICATE_NODE, f"node {uname} is defined twice", element,
                            severity=Severity.ERROR)
                continue
            raw_id = element.get("id", "")
            ids[raw_id] = uname
            attrs, where = self.nvpairs(element, "instance_attributes")
            if element.find("utilization") is not None:
                self.unsupported(Code.PCMK_UNSUPPORTED_UTILIZATION, "node utilization", element)
            for name in ("standby", "maintenance"):
                if name in attrs:
                    flag = self.boolean(attrs.pop(name), where[name], name)
                    if flag:
                        (standby if name == "standby" else maintenance).add(uname)
            node_id = int(raw_id) if raw_id.isdigit() else -1
            if node_id in used_ids or node_id <= 0:
                pending_ids.append((len(nodes), element))
                node_id = -1 - index
            used_ids.add(node_id)
            nodes.append(Node(name=uname, node_id=node_id, addresses=frozen_map(),
                              attributes=frozen_map(attrs)))
        next_id = max([i for i in used_ids if i > 0], default=0) + 1
        for position, element in pending_ids:
            self.report(Code.PCMK_NODE_ID_RENUMBERED,
                        f"node id {element.get('id')!r} is not a positive integer; "
                        f"using {next_id}", element, severity=Severity.INFO)
            nodes[position] = replace(nodes[position], node_id=next_id)
            next_id += 1
        return nodes, ids, standby, maintenance

    def operations(self, element: ET.Element) -> tuple[Operation, ...]:
        section = element.find("operations")
        if section is None:
            return ()
        if section.get("id-ref") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_IDREF, "<operations id-ref>", section)
            return ()
        ops: list[Operation] = []
        for op in section.findall("op"):
            name = op.get("name")
            if not name:
                self.report(Code.PCMK_INVALID_OP, "op without a name", op, severity=Severity.ERROR)
                continue
            interval = self.duration(op.get("interval", "0"), op, "interval") or 0.0
            timeout_text = op.get("timeout")
            timeout = 20.0
            if timeout_text is not None:
                timeout = self.duration(timeout_text, op, "timeout") or 20.0
            on_fail = op.get("on-fail")
            if on_fail is not None and on_fail not in _ON_FAIL:
                self.unsupported(Code.PCMK_UNSUPPORTED_ON_FAIL, f"on-fail={on_fail}", op)
                on_fail = None
            role = None
            if op.get("role"):
                role = ROLE_NAMES.get(op.get("role", "").lower())
                if role is None:
                    self.report(Code.PCMK_INVALID_ROLE, "op role is not a role", op,
                                severity=Severity.ERROR, found=op.get("role"))
            if parse_bool(op.get("enabled")) is False:
                self.report(Code.PCMK_IGNORED_OP, "disabled operation left out", op,
                            severity=Severity.INFO)
                continue
            ops.append(Operation(name=name, interval=interval, timeout=timeout,
                                 on_fail=cast(Any, on_fail), role=role))
        return tuple(ops)

    def primitive(self, element: ET.Element) -> Primitive | FenceDevice | None:
        rid = element.get("id")
        if not rid:
            self.report(Code.PCMK_INVALID_RESOURCE, "primitive without an id", element,
                        severity=Severity.ERROR)
            return None
        if element.get("template") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_TEMPLATE,
                             "a primitive made from a template", element)
            return None
        standard, rtype = element.get("class"), element.get("type")
        if not standard or not rtype:
            self.report(Code.PCMK_INVALID_RESOURCE, "primitive needs class and type", element,
                        severity=Severity.ERROR,
                        found=f"class={standard} type={rtype}")
            return None
        params, _ = self.nvpairs(element, "instance_attributes")
        if element.find("utilization") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_UTILIZATION, "resource utilization", element)
        if standard == "stonith":
            self.fence_ids.add(rid)
            hosts = params.get("pcmk_host_list", "")
            targets = tuple(h for h in re.split(r"[\s,;]+", hosts) if h)
            return FenceDevice(id=rid, agent=rtype, params=frozen_map(params), targets=targets)
        meta, _ = self.meta(element)
        return Primitive(id=rid, agent=AgentRef(standard, element.get("provider"), rtype),
                         params=frozen_map(params), operations=self.operations(element),
                         meta=meta)

    def group(self, element: ET.Element) -> Group | None:
        gid = element.get("id")
        if not gid:
            self.report(Code.PCMK_INVALID_RESOURCE, "group without an id", element,
                        severity=Severity.ERROR)
            return None
        members: list[Primitive] = []
        for child in element:
            if child.tag == "primitive":
                member = self.primitive(child)
                if isinstance(member, FenceDevice):
                    self.unsupported(Code.PCMK_UNSUPPORTED_STONITH_IN_GROUP,
                                     "a stonith primitive inside a group",
                                     child)
                elif member is not None:
                    members.append(member)
            elif child.tag not in ("meta_attributes", "instance_attributes"):
                self.unsupported(Code.PCMK_UNSUPPORTED_GROUP_CHILD,
                                 f"<{child.tag}> inside a group", child)
        if not members:
            self.report(Code.PCMK_EMPTY_GROUP, "group has no usable members; left out", element)
            return None
        meta, _ = self.meta(element)
        return Group(id=gid, members=tuple(members), meta=meta)

    def clone(self, element: ET.Element) -> Clone | None:
        cid = element.get("id")
        if not cid:
            self.report(Code.PCMK_INVALID_RESOURCE, f"{element.tag} without an id", element,
                        severity=Severity.ERROR)
            return None
        child: Primitive | Group | None = None
        for sub in element:
            if sub.tag == "primitive":
                made = self.primitive(sub)
                if isinstance(made, FenceDevice):
                    self.unsupported(Code.PCMK_UNSUPPORTED_STONITH_CLONE,
                                     "a cloned stonith primitive", sub)
                else:
                    child = made
            elif sub.tag == "group":
                child = self.group(sub)
            elif sub.tag not in ("meta_attributes", "instance_attributes"):
                self.unsupported(Code.PCMK_UNSUPPORTED_CLONE_CHILD,
                                 f"<{sub.tag}> inside a clone", sub)
        if child is None:
            self.report(Code.PCMK_EMPTY_CLONE, "clone has no usable child; left out", element)
            return None
        meta, extra = self.meta(element, _CLONE_META_NAMES | {"globally-unique"})
        if parse_bool(extra.get("globally-unique")):
            self.unsupported(Code.PCMK_UNSUPPORTED_UNIQUE_CLONE, "globally-unique=true", element,
                             severity=Severity.ERROR)
            return None
        promotable = element.tag == "master" or bool(parse_bool(extra.get("promotable")))
        if element.tag == "master":
            self.report(Code.PCMK_DEPRECATED_MASTER, "<master> is deprecated; read as a "
                        "promotable clone", element, severity=Severity.INFO)
        numbers: dict[str, int | None] = {}
        for name, legacy in (("clone-max", None), ("clone-node-max", None),
                             ("promoted-max", "master-max"),
                             ("promoted-node-max", "master-node-max")):
            text = extra.get(name, extra.get(legacy) if legacy else None)
            numbers[name] = self.integer(text, element, name) if text is not None else None
        if (numbers["clone-node-max"] or 1) > 1:
            # clone_unpack: anonymous clones support only one instance per node
            self.report(Code.PCMK_CLONE_NODE_MAX_IGNORED,
                        f"clone-node-max={numbers['clone-node-max']} is ignored by Pacemaker "
                        "for anonymous clones (one instance per node); read as 1 so the "
                        "cluster behaves as before", element)
            numbers["clone-node-max"] = 1
        return Clone(
            id=cid, child=child, clone_max=numbers["clone-max"],
            clone_node_max=numbers["clone-node-max"] or 1, promotable=promotable,
            promoted_max=1 if numbers["promoted-max"] is None else numbers["promoted-max"],
            promoted_node_max=numbers["promoted-node-max"] or 1, meta=meta)

    def resources(self, configuration: ET.Element) -> tuple[list[Resource], list[FenceDevice]]:
        resources: list[Resource] = []
        fences: list[FenceDevice] = []
        section = configuration.find("resources")
        if section is None:
            return resources, fences
        for element in section:
            made: Resource | FenceDevice | None = None
            if element.tag == "primitive":
                made = self.primitive(element)
            elif element.tag == "group":
                made = self.group(element)
            elif element.tag in ("clone", "master"):
                made = self.clone(element)
            elif element.tag == "bundle":
                self.unsupported(Code.PCMK_UNSUPPORTED_BUNDLE, "a bundle", element)
            elif element.tag == "template":
                self.unsupported(Code.PCMK_UNSUPPORTED_TEMPLATE, "a resource template", element)
            elif isinstance(element.tag, str):
                self.unsupported(Code.PCMK_UNSUPPORTED_RESOURCE, f"<{element.tag}>", element)
            if isinstance(made, FenceDevice):
                fences.append(made)
            elif made is not None:
                resources.append(made)
        return resources, fences

    # ---- constraints

    def constraints(self, configuration: ET.Element, known: Mapping[str, str]) -> Constraints:
        """``known`` maps every id a constraint may name to the id it should use."""
        section = configuration.find("constraints")
        locations: list[Location] = []
        colocations: list[Colocation] = []
        orders: list[Order] = []
        if section is None:
            return Constraints()
        for element in section:
            cid = element.get("id", "")
            if element.find("resource_set") is not None:
                self.unsupported(Code.PCMK_UNSUPPORTED_RESOURCE_SET,
                                 f"a resource set in <{element.tag}>", element,
                                 hint="rewrite it as pairwise constraints")
                continue
            if element.tag == "rsc_location":
                loc = self.location(element, cid, known)
                if loc is not None:
                    locations.append(loc)
            elif element.tag == "rsc_colocation":
                colo = self.colocation(element, cid, known)
                if colo is not None:
                    colocations.append(colo)
            elif element.tag == "rsc_order":
                order = self.order(element, cid, known)
                if order is not None:
                    orders.append(order)
            elif element.tag == "rsc_ticket":
                self.unsupported(Code.PCMK_UNSUPPORTED_TICKET, "a ticket constraint", element)
            elif isinstance(element.tag, str):
                self.unsupported(Code.PCMK_UNSUPPORTED_CONSTRAINT, f"<{element.tag}>", element)
        return Constraints(locations=tuple(locations), colocations=tuple(colocations),
                           orders=tuple(orders))

    def resolve(self, rid: str | None, element: ET.Element, attr: str,
                known: Mapping[str, str]) -> str | None:
        if not rid:
            self.report(Code.PCMK_INVALID_CONSTRAINT, f"constraint has no {attr}", element,
                        severity=Severity.ERROR)
            return None
        if rid in self.fence_ids:
            self.report(Code.PCMK_IGNORED_CONSTRAINT, f"{attr}={rid} is a fence device; "
                        "constraint left out", element, severity=Severity.INFO)
            return None
        target = known.get(rid)
        if target is None:
            self.report(Code.PCMK_UNKNOWN_RESOURCE, f"{attr}={rid} names no resource; "
                        "constraint left out (Pacemaker ignores it too)", element,
                        found=rid, hint=None)
            return None
        if target != rid:
            self.report(Code.PCMK_CLONE_CHILD_REFERENCE, f"{attr}={rid} is a clone's child; "
                        f"using the clone {target}", element, severity=Severity.INFO)
        return target

    def role(self, text: str | None, element: ET.Element, attr: str,
             started_is_any: bool = True) -> tuple[Role | None, bool]:
        if text is None:
            return None, True
        role = ROLE_NAMES.get(text.lower())
        if role is None:
            self.report(Code.PCMK_INVALID_ROLE, f"{attr} is not a role", element,
                        severity=Severity.ERROR, found=text,
                        allowed="Started, Promoted, Unpromoted (or Master, Slave)")
            return None, False
        if role is Role.STARTED and started_is_any:
            return None, True
        return role, True

    def location(self, element: ET.Element, cid: str,
                 known: Mapping[str, str]) -> Location | None:
        if element.get("rsc-pattern") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_RSC_PATTERN, "rsc-pattern", element)
            return None
        rid = self.resolve(element.get("rsc"), element, "rsc", known)
        if rid is None:
            return None
        role, ok = self.role(element.get("role"), element, "role")
        if not ok:
            return None
        if element.get("resource-discovery") not in (None, "always"):
            self.report(Code.PCMK_IGNORED_RESOURCE_DISCOVERY, "resource-discovery is ignored",
                        element, severity=Severity.INFO)
        node = element.get("node")
        rule_elements = element.findall("rule")
        if node is not None and not rule_elements:
            score = self.score(element.get("score"), element)
            if score is None:
                if element.get("score") is None:
                    self.report(Code.PCMK_INVALID_CONSTRAINT, "location with node needs a score",
                                element, severity=Severity.ERROR)
                return None
            return Location(id=cid, resource=rid, score=score, node=node, role=role)
        if node is not None or not rule_elements:
            self.report(Code.PCMK_INVALID_CONSTRAINT,
                        "location needs either node+score or rules", element,
                        severity=Severity.ERROR)
            return None
        if role is not None:
            # unpack_rsc_location reads the role of a rule-based location from each <rule>
            self.report(Code.PCMK_LOCATION_ROLE_WITH_RULES,
                        f"role={role.value} on a location with rules is ignored by Pacemaker "
                        "2.1; left out so the cluster behaves as before", element,
                        hint=f"to limit it to {role.value}, set role on each <rule>")
            role = None
        rules: list[Rule] = []
        for rule_element in rule_elements:
            rule = self.rule(rule_element)
            if rule is None:
                return None
            rules.append(rule)
        rule_roles = {rule.role for rule in rules}
        if role is None and len(rule_roles) == 1 and None not in rule_roles:
            # the deprecated role on <rule> applies to the location it generates
            role = rules[0].role
            rules = [replace(rule, role=None) for rule in rules]
        return Location(id=cid, resource=rid, rules=tuple(rules), role=role)

    def rule(self, element: ET.Element) -> Rule | None:
        if element.get("id-ref") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_IDREF, "<rule id-ref>", element)
            return None
        if element.get("score-attribute") is not None:
            self.unsupported(Code.PCMK_UNSUPPORTED_SCORE_ATTRIBUTE,
                             "score-attribute in a rule", element,
                             hint="give the rule a fixed score")
            return None
        score = self.score(element.get("score", "0"), element)
        if score is None:
            return None
        boolean_op = element.get("boolean-op", "and")
        if boolean_op not in ("and", "or"):
            self.report(Code.PCMK_INVALID_RULE, "boolean-op must be and/or", element,
                        severity=Severity.ERROR, found=boolean_op)
            return None
        role, ok = self.role(element.get("role"), element, "role")
        if not ok:
            return None
        expressions: list[Expression] = []
        for child in element:
            if child.tag != "expression":
                self.unsupported(Code.PCMK_UNSUPPORTED_RULE_EXPRESSION,
                                 f"<{child.tag}> in a rule", child)
                return None
            expression = self.expression(child)
            if expression is None:
                return None
            expressions.append(expression)
        if not expressions:
            self.report(Code.PCMK_INVALID_RULE, "rule has no expression", element,
                        severity=Severity.ERROR)
            return None
        return Rule(score=score, expressions=tuple(expressions),
                    boolean_op=cast(Literal["and", "or"], boolean_op), role=role)

    def expression(self, element: ET.Element) -> Expression | None:
        attribute, operation = element.get("attribute"), element.get("operation")
        if element.get("value-source", "literal") != "literal":
            self.unsupported(Code.PCMK_UNSUPPORTED_VALUE_SOURCE,
                             "value-source other than literal", element)
            return None
        if not attribute or operation not in _EXPR_OPS:
            self.report(Code.PCMK_INVALID_EXPRESSION, "expression needs attribute and operation",
                        element, severity=Severity.ERROR,
                        found=f"attribute={attribute} operation={operation}",
                        allowed=", ".join(sorted(_EXPR_OPS)))
            return None
        etype = _EXPR_TYPES.get(element.get("type", "string"))
        if etype is None:
            self.report(Code.PCMK_INVALID_EXPRESSION, "unknown expression type", element,
                        severity=Severity.ERROR, found=element.get("type"),
                        allowed="string, integer, number, version")
            return None
        value = element.get("value")
        if value is None and operation not in ("defined", "not_defined"):
            self.report(Code.PCMK_INVALID_EXPRESSION, f"operation {operation} needs a value",
                        element, severity=Severity.ERROR)
            return None
        return Expression(attribute=attribute, operation=cast(Any, operation), value=value,
                          type=cast(Any, etype))

    def colocation(self, element: ET.Element, cid: str,
                   known: Mapping[str, str]) -> Colocation | None:
        for attr in ("node-attribute", "rsc-instance", "with-rsc-instance"):
            value = element.get(attr)
            if value is not None and not (attr == "node-attribute" and value == "#uname"):
                self.unsupported(Code["PCMK_UNSUPPORTED_COLOCATION_"
                                      + attr.upper().replace("-", "_")], attr, element)
                return None
        rid = self.resolve(element.get("rsc"), element, "rsc", known)
        with_rid = self.resolve(element.get("with-rsc"), element, "with-rsc", known)
        if rid is None or with_rid is None:
            return None
        score_text = element.get("score")
        if score_text is None:
            self.report(Code.PCMK_INVALID_CONSTRAINT, "colocation needs a score", element,
                        severity=Severity.ERROR)
            return None
        score = self.score(score_text, element)
        role, ok1 = self.role(element.get("rsc-role"), element, "rsc-role")
        with_role, ok2 = self.role(element.get("with-rsc-role"), element, "with-rsc-role")
        if score is None or not (ok1 and ok2):
            return None
        return Colocation(id=cid, resource=rid, with_resource=with_rid, score=score,
                          resource_role=role, with_role=with_role)

    def order(self, element: ET.Element, cid: str, known: Mapping[str, str]) -> Order | None:
        first = self.resolve(element.get("first"), element, "first", known)
        then = self.resolve(element.get("then"), element, "then", known)
        if first is None or then is None:
            return None
        for attr in ("first-instance", "then-instance"):
            if element.get(attr) is not None:
                self.unsupported(Code.PCMK_UNSUPPORTED_ORDER_INSTANCE, attr, element)
                return None
        actions: list[ActionName | None] = []
        for attr in ("first-action", "then-action"):
            action = element.get(attr)
            if action is not None and action not in _ORDER_ACTIONS:
                self.unsupported(Code.PCMK_UNSUPPORTED_ORDER_ACTION, f"{attr}={action}", element)
                return None
            actions.append(cast(ActionName | None, action))
        kind_text, score_text = element.get("kind"), element.get("score")
        kind: OrderKind = "Mandatory"
        if kind_text is not None:
            if kind_text not in ("Mandatory", "Optional", "Serialize"):
                self.report(Code.PCMK_INVALID_CONSTRAINT, "unknown order kind", element,
                            severity=Severity.ERROR, found=kind_text,
                            allowed="Mandatory, Optional, Serialize")
                return None
            kind = cast(OrderKind, kind_text)
        elif score_text is not None:
            score = self.score(score_text, element)
            if score is None:
                return None
            kind = "Optional" if score == 0 else "Mandatory"
            if score < 0:
                self.report(Code.PCMK_ORDER_NEGATIVE_SCORE, "a negative order score is read as "
                            "Mandatory", element, severity=Severity.INFO)
        symmetrical = None
        if element.get("symmetrical") is not None:
            symmetrical = self.boolean(element.get("symmetrical", ""), element, "symmetrical")
        return Order(id=cid, first=first, then=then, first_action=actions[0] or "start",
                     then_action=actions[1], kind=kind, symmetrical=symmetrical)


# --- entry point -----------------------------------------------------------------------


def _parse(xml_text: str, filename: str) -> tuple[ET.Element | None, dict[int, int], Report | None]:
    try:
        root, lines = _build_tree(xml_text)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        return None, {}, Report(code=Code.PCMK_XML_INVALID, severity=Severity.ERROR,
                                message=f"not well-formed XML: {exc}", file=filename, line=line)
    return root, lines, None


def read_cib(xml_text: str, filename: str = "<cib>") -> CibImport:
    """Read a CIB; never raises for bad input."""
    root, lines, problem = _parse(xml_text, filename)
    if root is None:
        return CibImport(None, None, (problem,) if problem else ())
    reader = _Reader(filename=filename, lines=lines)
    configuration = root.find("configuration")
    if root.tag != "cib" or configuration is None:
        reader.report(Code.PCMK_NOT_A_CIB, "expected <cib> with a <configuration> section", root,
                      severity=Severity.ERROR, found=f"<{root.tag}>")
        return CibImport(None, None, tuple(reader.reports))
    try:
        return _read(root, configuration, reader)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # last line of defence
        reader.report(Code.PCMK_IMPORT_FAILED, f"could not read the CIB: {exc}", root,
                      severity=Severity.ERROR)
        return CibImport(None, None, tuple(reader.reports))


def _read(root: ET.Element, configuration: ET.Element, reader: _Reader) -> CibImport:
    properties, cluster_name = reader.properties(configuration)
    defaults = reader.defaults(configuration)
    nodes, node_ids, standby, maintenance = reader.nodes(configuration)
    resources, fences = reader.resources(configuration)
    for section in ("op_defaults", "acls", "tags", "alerts", "fencing-topology"):
        element = configuration.find(section)
        if element is not None and len(element):
            reader.unsupported(Code["PCMK_UNSUPPORTED_" + section.upper().replace("-", "_")],
                               f"<{section}>", element)
    known: dict[str, str] = {}
    for resource in resources:
        known[resource.id] = resource.id
        if isinstance(resource, Group):
            known.update((m.id, m.id) for m in resource.members)
        elif isinstance(resource, Clone):
            child = resource.child
            known[child.id] = resource.id
            if isinstance(child, Group):
                known.update((m.id, m.id) for m in child.members)
    ids = [r.id for r in resources] + [f.id for f in fences]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    for rid in duplicates:
        reader.report(Code.PCMK_DUPLICATE_ID, f"resource id {rid} is used twice", configuration,
                      severity=Severity.ERROR)
    constraints = reader.constraints(configuration, known)
    name = cluster_name or (reader.filename.rsplit("/", 1)[-1].removesuffix(".xml")
                            if not reader.filename.startswith("<") else "pacemaker")
    config = ClusterConfig(name=name, nodes=tuple(nodes), properties=properties,
                           defaults=defaults, resources=tuple(resources),
                           constraints=constraints, fence_devices=tuple(fences))
    if not nodes:
        reader.report(Code.PCMK_NO_NODES, "the CIB configures no usable node", configuration,
                      severity=Severity.ERROR)
    state = StatusReader(reader, config, node_ids, standby, maintenance).read(root)
    return CibImport(config=config, state=state, reports=tuple(reader.reports))
