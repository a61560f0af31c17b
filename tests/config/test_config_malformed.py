"""Malformed configurations: each is reported with its code, line, key path and hint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hafailover.config import load_config_bytes, load_config_text
from hafailover.reports import Report, Severity

pytestmark = pytest.mark.tier0

NODES = """\
cluster: {name: t}
nodes:
  - name: n1
  - name: n2
  - name: n3
properties: {stonith-enabled: false}
"""  # six lines; the cases below start at line 7


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    code: str
    line: int | None
    path: str | None
    hint: str | None = None  # a substring of the hint or message
    severity: Severity = Severity.ERROR


def with_nodes(text: str) -> str:
    return NODES + text


CASES = [
    # --- the file as a whole ------------------------------------------------------------
    Case("yaml syntax error", "cluster: {name: t\nnodes: []\n", "CONFIG_YAML_SYNTAX", 2, None),
    Case("bad indentation", "cluster:\n  name: t\n nodes: []\n", "CONFIG_YAML_SYNTAX", 3, None),
    Case("empty file", "", "CONFIG_EMPTY", 1, None),
    Case("only a comment", "# nothing yet\n", "CONFIG_EMPTY", 1, None),
    Case("a list at the top", "- cluster\n- nodes\n", "CONFIG_TYPE", 1, None, "a mapping"),
    Case("a scalar at the top", "hello\n", "CONFIG_TYPE", 1, None, "a mapping"),
    Case("unknown top-level key", "cluster: {name: t}\nnodes: [{name: n1}]\nnode-list: []\n",
         "CONFIG_UNKNOWN_KEY", 3, "node-list", "did you mean 'nodes'?"),
    Case("misspelt section", "clustr: {name: t}\nnodes: [{name: n1}]\n",
         "CONFIG_UNKNOWN_KEY", 1, "clustr", "did you mean 'cluster'?"),
    Case("missing nodes", "cluster: {name: t}\n", "CONFIG_MISSING_KEY", 1, "nodes"),
    Case("duplicate YAML key", "cluster: {name: t}\nnodes: [{name: n1}]\ncluster: {name: u}\n",
         "CONFIG_DUPLICATE_KEY", 3, "cluster", "silently keep only the last"),
    Case("unsupported tag", "cluster: {name: !secret t}\nnodes: [{name: n1}]\n",
         "CONFIG_YAML_TAG", 1, "cluster.name"),
    # --- nodes --------------------------------------------------------------------------
    Case("nodes given as a mapping", "cluster: {name: t}\nnodes: {n1: {}}\n",
         "CONFIG_TYPE", 2, "nodes", "a list"),
    Case("nodes written as bare names", "cluster: {name: t}\nnodes: [n1, n2]\n",
         "CONFIG_TYPE", 2, "nodes[0]", "write it as {name: n1}"),
    Case("node without a name", "cluster: {name: t}\nnodes:\n  - id: 1\n",
         "CONFIG_MISSING_KEY", 3, "nodes[0].name"),
    Case("misspelt node key", with_nodes("") .replace("  - name: n2\n",
         "  - name: n2\n    adresses: {ring0: 10.0.0.2}\n"),
         "CONFIG_UNKNOWN_KEY", 5, "nodes[1].adresses", "did you mean 'addresses'?"),
    Case("duplicate node name", with_nodes("").replace("name: n3", "name: n1"),
         "CONFIG_DUPLICATE_NAME", 5, "nodes[2].name", "first defined at line 3"),
    Case("duplicate node id", with_nodes("").replace("name: n3", "{name: n3, id: 2}")
         .replace("  - {name", "  - {name"), "CONFIG_DUPLICATE_NODE_ID", 5, "nodes[2].id",
         "position in the list"),
    Case("node id zero", with_nodes("").replace("name: n2", "{name: n2, id: 0}"),
         "CONFIG_VALUE", 4, "nodes[1].id", "from 1 to"),
    Case("bad node name", with_nodes("").replace("name: n2", "name: -n2"),
         "CONFIG_INVALID_ID", 4, "nodes[1].name"),
    Case("negative votes", with_nodes("").replace("name: n2", "{name: n2, votes: -1}"),
         "CONFIG_VALUE", 4, "nodes[1].votes"),
    Case("votes as a word", with_nodes("").replace("name: n2", "{name: n2, votes: one}"),
         "CONFIG_TYPE", 4, "nodes[1].votes", "an integer"),
    Case("address on an unknown link",
         with_nodes("").replace("name: n2", "{name: n2, addresses: {ring1: 10.0.0.2}}"),
         "CONFIG_UNKNOWN_LINK", 4, "nodes[1].addresses.ring1", "did you mean 'ring0'?"),
    Case("address that is not an IP",
         with_nodes("").replace("name: n2", "{name: n2, addresses: {ring0: 10.0.0.300}}"),
         "CONFIG_VALUE", 4, "nodes[1].addresses.ring0", "IP address"),
    Case("attributes as a list",
         with_nodes("").replace("name: n2", "{name: n2, attributes: [a, b]}"),
         "CONFIG_TYPE", 4, "nodes[1].attributes"),
    # --- heartbeat ----------------------------------------------------------------------
    Case("interval is not a duration", with_nodes("heartbeat:\n  interval: fast\n"),
         "CONFIG_VALUE", 8, "heartbeat.interval", "not a duration (found: 'fast')"),
    Case("negative duration", with_nodes("heartbeat:\n  dead-time: -1s\n"),
         "CONFIG_VALUE", 8, "heartbeat.dead-time", "cannot be negative"),
    Case("zero interval", with_nodes("heartbeat:\n  interval: 0\n"),
         "CONFIG_TIMING", 8, "heartbeat.interval"),
    Case("dead-time not above interval",
         with_nodes("heartbeat:\n  interval: 1s\n  dead-time: 1s\n"),
         "CONFIG_TIMING", 9, "heartbeat.dead-time", "dead-time > interval"),
    Case("dead-time under three intervals",
         with_nodes("heartbeat:\n  interval: 1s\n  dead-time: 2500ms\n"),
         "CONFIG_TIMING_MARGIN", 9, "heartbeat.dead-time", "false suspicion",
         Severity.WARNING),
    Case("unknown transport", with_nodes("heartbeat: {transport: broadcast}\n"),
         "CONFIG_VALUE", 7, "heartbeat.transport", "multicast, unicast"),
    Case("heartbeat as a list", with_nodes("heartbeat: [100ms, 500ms]\n"),
         "CONFIG_TYPE", 7, "heartbeat", "a mapping"),
    Case("multicast link without group",
         with_nodes("heartbeat:\n  links:\n    - {name: ring0}\n"),
         "CONFIG_MULTICAST", 9, "heartbeat.links[0].multicast-group"),
    Case("group that is not multicast",
         with_nodes("heartbeat:\n  links:\n    - {name: ring0, multicast-group: 10.1.1.1}\n"),
         "CONFIG_MULTICAST", 9, "heartbeat.links[0].multicast-group", "224.0.0.0/4"),
    Case("port out of range",
         with_nodes("heartbeat:\n  links:\n    - name: ring0\n      multicast-group: 239.1.1.1\n"
                    "      port: 70000\n"),
         "CONFIG_VALUE", 11, "heartbeat.links[0].port", "1 to 65535"),
    Case("unicast node without address",
         with_nodes("heartbeat: {transport: unicast}\n"),
         "CONFIG_MISSING_ADDRESS", 3, "nodes[0].addresses", "on every link"),
    # --- quorum and properties ----------------------------------------------------------
    Case("two-node with three nodes", with_nodes("quorum: {two-node: true}\n"),
         "CONFIG_TWO_NODE", 7, "quorum.two-node", "majority"),
    Case("unknown no-quorum-policy", with_nodes("").replace(
         "{stonith-enabled: false}", "{stonith-enabled: false, no-quorum-policy: suicide}"),
         "CONFIG_VALUE", 6, "properties.no-quorum-policy", "stop, freeze, ignore"),
    Case("boolean written as a phrase", with_nodes("").replace(
         "stonith-enabled: false", "stonith-enabled: not now"),
         "CONFIG_TYPE", 6, "properties.stonith-enabled", "true or false"),
    Case("stonith disabled", with_nodes(""), "CONFIG_STONITH_DISABLED", 6,
         "properties.stonith-enabled", "split brain", Severity.WARNING),
    Case("stonith without devices", with_nodes("").replace("stonith-enabled: false",
         "stonith-enabled: true"), "CONFIG_NO_FENCE_DEVICES", None, None,
         "until someone confirms", Severity.WARNING),
    Case("misspelt default", with_nodes("resource-defaults:\n  stickiness: 100\n"),
         "CONFIG_UNKNOWN_KEY", 8, "resource-defaults.stickiness",
         "did you mean 'resource-stickiness'?"),
    Case("misspelt score", with_nodes("resource-defaults:\n  resource-stickiness: INFINTY\n"),
         "CONFIG_VALUE", 8, "resource-defaults.resource-stickiness", "INFINITY"),
    # --- resources ----------------------------------------------------------------------
    Case("resource kind misspelt", with_nodes("resources:\n  - primitve: vip\n"
                                              "    agent: builtin:vip\n"),
         "CONFIG_UNKNOWN_KEY", 8, "resources[0].primitve", "did you mean 'primitive'?"),
    Case("resource without an id", with_nodes("resources:\n  - agent: builtin:vip\n"),
         "CONFIG_MISSING_KEY", 8, "resources[0]", "primitive: ID"),
    Case("resource with two kinds", with_nodes("resources:\n  - primitive: a\n"
                                               "    group: b\n"),
         "CONFIG_CONFLICTING_KEYS", 8, "resources[0]"),
    Case("resource id starting with a digit",
         with_nodes("resources:\n  - {primitive: 1vip, agent: builtin:vip}\n"),
         "CONFIG_INVALID_ID", 8, "resources[0].primitive"),
    Case("duplicate id across levels",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\n"
                    "  - group: web\n    members:\n      - {primitive: vip, agent: builtin:vip}\n"),
         "CONFIG_DUPLICATE_ID", 11, "resources[1].members[0].primitive",
         "first defined at line 8"),
    Case("ocf agent without provider",
         with_nodes("resources:\n  - {primitive: ip, agent: 'ocf:IPaddr2'}\n"),
         "CONFIG_AGENT", 8, "resources[0].agent", "ocf:heartbeat:IPaddr2"),
    Case("unknown agent standard",
         with_nodes("resources:\n  - {primitive: ip, agent: 'osf:heartbeat:IPaddr2'}\n"),
         "CONFIG_AGENT", 8, "resources[0].agent", "did you mean 'ocf'?"),
    Case("agent with too many parts",
         with_nodes("resources:\n  - {primitive: ip, agent: 'a:b:c:d'}\n"),
         "CONFIG_AGENT", 8, "resources[0].agent", "ocf:provider:type"),
    Case("params value is a list",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n"
                    "    params:\n      ip: [10.0.0.1]\n"),
         "CONFIG_TYPE", 11, "resources[0].params.ip"),
    Case("operation timeout zero",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n    operations:\n"
                    "      - name: monitor\n        interval: 2s\n        timeout: 0s\n"),
         "CONFIG_TIMING", 13, "resources[0].operations[0].timeout"),
    Case("operation on-fail unknown",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n    operations:\n"
                    "      - {name: monitor, interval: 2s, on-fail: reboot}\n"),
         "CONFIG_VALUE", 11, "resources[0].operations[0].on-fail", "restart, stop"),
    Case("operation without name",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n    operations:\n"
                    "      - {interval: 2s}\n"),
         "CONFIG_MISSING_KEY", 11, "resources[0].operations[0].name"),
    Case("two monitors with the same interval",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n    operations:\n"
                    "      - {name: monitor, interval: 2s}\n"
                    "      - {name: monitor, interval: 2000ms}\n"),
         "CONFIG_DUPLICATE_OPERATION", 12, "resources[0].operations[1]", "line 11"),
    Case("monitor role outside a promotable clone",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n    operations:\n"
                    "      - {name: monitor, interval: 2s, role: Promoted}\n"),
         "CONFIG_ROLE", 11, "resources[0].operations[0].role", "promotable"),
    Case("legacy role name",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n"
                    "    meta: {target-role: Master}\n"),
         "CONFIG_VALUE", 10, "resources[0].meta.target-role", "use 'Promoted'"),
    Case("target-role Promoted on a primitive",
         with_nodes("resources:\n  - primitive: ip\n    agent: builtin:vip\n"
                    "    meta: {target-role: Promoted}\n"),
         "CONFIG_ROLE", 10, "resources[0].meta.target-role", "Started or Stopped"),
    Case("group containing a clone",
         with_nodes("resources:\n  - group: g\n    members:\n      - clone: c\n"
                    "        resource: {primitive: p, agent: builtin:vip}\n"),
         "CONFIG_TYPE", 10, "resources[0].members[0]", "'primitive'"),
    Case("group without members", with_nodes("resources:\n  - {group: g, members: []}\n"),
         "CONFIG_VALUE", 8, "resources[0].members"),
    Case("clone-max zero",
         with_nodes("resources:\n  - clone: c\n    clone-max: 0\n"
                    "    resource: {primitive: p, agent: builtin:vip}\n"),
         "CONFIG_VALUE", 9, "resources[0].clone-max", ">= 1"),
    Case("clone without resource", with_nodes("resources:\n  - clone: c\n"),
         "CONFIG_MISSING_KEY", 8, "resources[0].resource"),
    Case("more promoted than instances",
         with_nodes("resources:\n  - clone: c\n    promotable: true\n    clone-max: 1\n"
                    "    promoted-max: 2\n    resource: {primitive: p, agent: builtin:vip}\n"),
         "CONFIG_CLONE", 11, "resources[0].promoted-max", "promoted-max <= clone-max"),
    # --- constraints --------------------------------------------------------------------
    Case("location of an unknown resource",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - {resource: vpi, node: n1, score: 10}\n"),
         "CONFIG_UNKNOWN_RESOURCE", 11, "constraints.location[0].resource",
         "did you mean 'vip'?"),
    Case("location on an unknown node",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - {resource: vip, node: n-1, score: 10}\n"),
         "CONFIG_UNKNOWN_NODE", 11, "constraints.location[0].node", "did you mean 'n1'?"),
    Case("location of a group member",
         with_nodes("resources:\n  - group: web\n    members:\n"
                    "      - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - {resource: vip, node: n1, score: 10}\n"),
         "CONFIG_CHILD_RESOURCE", 13, "constraints.location[0].resource",
         "constrain the group 'web' instead"),
    Case("location with node and rules",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - resource: vip\n      node: n1\n      rules: []\n"),
         "CONFIG_CONFLICTING_KEYS", 11, "constraints.location[0]"),
    Case("location without node or rules",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - {resource: vip, score: 10}\n"),
         "CONFIG_MISSING_KEY", 11, "constraints.location[0]", "or 'rules'"),
    Case("location without score",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - {resource: vip, node: n1}\n"),
         "CONFIG_MISSING_KEY", 11, "constraints.location[0].score", "-INFINITY to forbid"),
    Case("location with an empty rule list",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - resource: vip\n      rules: []\n"),
         "CONFIG_VALUE", 12, "constraints.location[0].rules", "at least one rule"),
    Case("rule expression with an unknown op",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - resource: vip\n      rule:\n        score: 10\n"
                    "        expressions:\n          - {attribute: a, op: equal, value: b}\n"),
         "CONFIG_VALUE", 15, "constraints.location[0].rule.expressions[0].op", "eq, ne"),
    Case("rule integer that is not one",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  location:\n    - resource: vip\n      rules:\n        - score: 10\n"
                    "          expressions:\n"
                    "            - {attribute: a, op: gt, value: ten, type: integer}\n"),
         "CONFIG_VALUE", 15, "constraints.location[0].rules[0].expressions[0].value",
         "not a valid integer"),
    Case("colocation with itself",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\nconstraints:\n"
                    "  colocation:\n    - {resource: vip, with: vip}\n"),
         "CONFIG_SELF_REFERENCE", 11, "constraints.colocation[0].with"),
    Case("with-role on a resource that is not promotable",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\n"
                    "  - {primitive: db, agent: builtin:vip}\nconstraints:\n"
                    "  colocation:\n    - {resource: vip, with: db, with-role: Promoted}\n"),
         "CONFIG_ROLE", 12, "constraints.colocation[0].with-role", "promotable: true"),
    Case("promote order on a primitive",
         with_nodes("resources:\n  - {primitive: vip, agent: builtin:vip}\n"
                    "  - {primitive: db, agent: builtin:vip}\nconstraints:\n  order:\n"
                    "    - {first: db, first-action: promote, then: vip, then-action: start}\n"),
         "CONFIG_ROLE", 12, "constraints.order[0].first-action", "not a promotable clone"),
    Case("order kind in lower case",
         with_nodes("resources:\n  - {primitive: a, agent: builtin:vip}\n"
                    "  - {primitive: b, agent: builtin:vip}\nconstraints:\n  order:\n"
                    "    - {first: a, then: b, kind: mandatory}\n"),
         "CONFIG_VALUE", 12, "constraints.order[0].kind", "did you mean 'Mandatory'?"),
    Case("ordering cycle",
         with_nodes("resources:\n  - {primitive: a, agent: builtin:vip}\n"
                    "  - {primitive: b, agent: builtin:vip}\nconstraints:\n  order:\n"
                    "    - {id: a-then-b, first: a, then: b}\n"
                    "    - {id: b-then-a, first: b, then: a}\n"),
         "CONFIG_ORDER_CYCLE", 12, "constraints.order[0]", "start a -> start b -> start a"),
    Case("ordering cycle through a group's members",
         with_nodes("resources:\n  - group: web\n    members:\n"
                    "      - {primitive: ip, agent: builtin:vip}\n"
                    "      - {primitive: proxy, agent: builtin:vip}\n"
                    "  - {primitive: db, agent: builtin:vip}\nconstraints:\n  order:\n"
                    "    - {id: web-then-db, first: web, then: db}\n"
                    "    - {id: db-then-ip, first: db, then: ip, kind: Mandatory}\n"),
         "CONFIG_ORDER_CYCLE", 15, "constraints.order[0]",
         "web started -> start db -> start ip -> start proxy -> web started"),
    Case("constraint id taken by a resource",
         with_nodes("resources:\n  - {primitive: a, agent: builtin:vip}\n"
                    "  - {primitive: b, agent: builtin:vip}\nconstraints:\n  order:\n"
                    "    - {id: b, first: a, then: b}\n"),
         "CONFIG_DUPLICATE_ID", 12, "constraints.order[0].id", "unique together"),
    # --- fencing ------------------------------------------------------------------------
    Case("fencing target that is not a node",
         with_nodes("fencing:\n  devices:\n    - id: f1\n      agent: fence_lab\n"
                    "      targets: [n1, n5]\n"),
         "CONFIG_UNKNOWN_NODE", 11, "fencing.devices[0].targets[1]"),
    Case("fencing timeout zero",
         with_nodes("fencing:\n  devices:\n    - {id: f1, agent: fence_lab, timeout: 0}\n"),
         "CONFIG_TIMING", 9, "fencing.devices[0].timeout"),
]


def matching(reports: tuple[Report, ...], code: str) -> list[Report]:
    return [r for r in reports if r.code == code]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_configuration_is_reported_precisely(case: Case) -> None:
    result = load_config_text(case.text, "cluster.yaml")

    found = matching(result.reports, case.code)
    assert found, "\n".join(r.as_text() for r in result.reports)
    report = found[0]
    assert (report.line, report.path, report.severity) == (case.line, case.path,
                                                           case.severity), report.as_text()
    assert report.file == "cluster.yaml"
    if case.hint:
        assert case.hint in report.as_text()
    if case.severity is Severity.ERROR:
        assert result.config is None
    else:
        assert result.config is not None


def test_there_are_enough_distinct_malformed_cases() -> None:
    assert len(CASES) >= 35
    assert len({c.name for c in CASES}) == len(CASES)


def test_text_that_is_not_utf8_is_an_encoding_error_with_its_line() -> None:
    result = load_config_bytes(b"cluster: {name: t}\nnodes:\n  - name: n\xe9\n", "bad.yaml")

    assert result.config is None
    [report] = result.reports
    assert (report.code, report.line) == ("CONFIG_ENCODING", 3)
    assert "UTF-8" in report.as_text()


def test_a_byte_order_mark_is_accepted() -> None:
    result = load_config_bytes(b"\xef\xbb\xbfcluster: {name: t}\nnodes: [{name: n1}]\n")

    assert result.config is not None


def test_an_alias_bomb_is_loaded_without_blowing_up() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20))

    result = load_config_text(text)

    assert result.config is None
    assert any(r.code == "CONFIG_UNKNOWN_KEY" for r in result.reports)
