"""Every report code hafailover gives, each with what it means: the one registry.

A ``Report`` carries one of these (``hafailover.reports``); validation, the CIB import,
``hactl simulate`` and the command line use them, and docs/report-codes.md lists them
all (a test keeps that page equal to this module). Codes are stable: scripts match on
them. A code's value is its name, so that JSON shows the same word as the source.
"""

from __future__ import annotations

import enum


class Code(enum.StrEnum):
    meaning: str

    def __new__(cls, value: str, meaning: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # --- reading a configuration file ---------------------------------------------------
    CONFIG_FILE = "CONFIG_FILE", "the file cannot be read"
    CONFIG_ENCODING = "CONFIG_ENCODING", "the file is not UTF-8"
    CONFIG_YAML_SYNTAX = "CONFIG_YAML_SYNTAX", "YAML syntax error (or nesting too deep)"
    CONFIG_YAML_TAG = "CONFIG_YAML_TAG", "a custom YAML tag such as `!secret`"
    CONFIG_EMPTY = "CONFIG_EMPTY", "the file has no content"
    CONFIG_TYPE = "CONFIG_TYPE", ("wrong kind of value (a list where a mapping is expected, "
                                  "a word where a number is)")
    CONFIG_UNKNOWN_KEY = "CONFIG_UNKNOWN_KEY", ("a key that does not exist here (with \"did you "
                                                "mean\")")
    CONFIG_MISSING_KEY = "CONFIG_MISSING_KEY", "a required key is absent"
    CONFIG_DUPLICATE_KEY = "CONFIG_DUPLICATE_KEY", "the same key twice in one mapping"
    CONFIG_CONFLICTING_KEYS = "CONFIG_CONFLICTING_KEYS", ("keys that exclude each other (`node` "
                                                          "and `rules`; `primitive` and `group`)")
    CONFIG_VALUE = "CONFIG_VALUE", ("a value outside what is allowed (unknown choice, bad "
                                    "duration, range)")
    CONFIG_INVALID_ID = "CONFIG_INVALID_ID", "a name or id with characters that are not allowed"
    # --- what a configuration means -----------------------------------------------------
    CONFIG_DUPLICATE_NAME = "CONFIG_DUPLICATE_NAME", "two nodes with one name"
    CONFIG_DUPLICATE_NODE_ID = "CONFIG_DUPLICATE_NODE_ID", "two nodes with one id"
    CONFIG_DUPLICATE_ID = "CONFIG_DUPLICATE_ID", "a resource, constraint or fencing id used twice"
    CONFIG_DUPLICATE_LINK = "CONFIG_DUPLICATE_LINK", "two heartbeat links with one name"
    CONFIG_DUPLICATE_ADDRESS = "CONFIG_DUPLICATE_ADDRESS", "two nodes with one address on a link"
    CONFIG_DUPLICATE_OPERATION = "CONFIG_DUPLICATE_OPERATION", ("the same operation, interval "
                                                                "and role twice")
    CONFIG_UNKNOWN_LINK = "CONFIG_UNKNOWN_LINK", "a node address on a link that is not configured"
    CONFIG_MISSING_ADDRESS = "CONFIG_MISSING_ADDRESS", ("unicast transport and a node without an "
                                                        "address on a link")
    CONFIG_MULTICAST = "CONFIG_MULTICAST", ("multicast link without a group, or a group that is "
                                            "not multicast")
    CONFIG_AGENT = "CONFIG_AGENT", ("malformed agent, unknown standard, missing or unexpected "
                                    "provider")
    CONFIG_UNKNOWN_RESOURCE = "CONFIG_UNKNOWN_RESOURCE", ("a constraint names a resource that "
                                                          "does not exist")
    CONFIG_UNKNOWN_NODE = "CONFIG_UNKNOWN_NODE", ("a node name that does not exist (a warning in "
                                                  "`#uname` rules)")
    CONFIG_CHILD_RESOURCE = "CONFIG_CHILD_RESOURCE", ("a constraint names a group member or a "
                                                      "clone's child")
    CONFIG_SELF_REFERENCE = "CONFIG_SELF_REFERENCE", ("a resource colocated with or ordered "
                                                      "after itself")
    CONFIG_ROLE = "CONFIG_ROLE", ("a role or promote/demote action on something that is not a "
                                  "promotable clone")
    CONFIG_ORDER_CYCLE = "CONFIG_ORDER_CYCLE", "Mandatory orders form a cycle"
    CONFIG_CLONE = "CONFIG_CLONE", "`promoted-max` larger than `clone-max`"
    CONFIG_TIMING = "CONFIG_TIMING", "interval 0, dead-time not above interval, timeout 0"
    CONFIG_TIMING_MARGIN = "CONFIG_TIMING_MARGIN", "dead-time under 3 × interval (a warning)"
    CONFIG_TWO_NODE = "CONFIG_TWO_NODE", "`two-node` with a number of nodes other than 2"
    CONFIG_QUORUM_VOTES = "CONFIG_QUORUM_VOTES", "`expected-votes` below the configured votes"
    CONFIG_STONITH_DISABLED = "CONFIG_STONITH_DISABLED", "fencing is disabled (a warning)"
    CONFIG_NO_FENCE_DEVICES = "CONFIG_NO_FENCE_DEVICES", ("fencing is enabled but no device is "
                                                          "configured and no watchdog either")
    CONFIG_UNKNOWN_DEVICE = "CONFIG_UNKNOWN_DEVICE", ("a fencing level names a device that "
                                                      "does not exist")
    CONFIG_FENCE_PARAMS = "CONFIG_FENCE_PARAMS", ("a device's parameters do not fit its agent's "
                                                  "metadata (unknown, or a required one missing)")
    CONFIG_FENCE_AGENT = "CONFIG_FENCE_AGENT", ("a device's agent cannot be found or run where "
                                                "the check runs (a warning)")
    CONFIG_TWO_NODE_DEFAULTS = "CONFIG_TWO_NODE_DEFAULTS", ("a two-node cluster gets two-node "
                                                            "quorum and a fence-race delay by "
                                                            "default; says so (info)")
    CONFIG_FENCE_RACE = "CONFIG_FENCE_RACE", ("a two-node cluster with fencing devices and no "
                                              "`priority-fencing-delay`")
    CONFIG_IGNORED = "CONFIG_IGNORED", "a setting that has no effect where it is (a warning)"
    CONFIG_WARNINGS = "CONFIG_WARNINGS", ("`hactl simulate`: the configuration loaded with "
                                          "warnings, which it names")
    CONFIG_OTHER_CLUSTER = "CONFIG_OTHER_CLUSTER", ("`hactl config`: the file is for another "
                                                    "cluster than the one that runs")
    # --- hactl simulate: the state and the events ---------------------------------------
    STATE_UNREADABLE = "STATE_UNREADABLE", "the state file cannot be read"
    STATE_BAD_JSON = "STATE_BAD_JSON", "the state file is not valid JSON"
    STATE_INVALID = "STATE_INVALID", "the state document does not have the expected shape"
    STATE_MISSING_NODE = "STATE_MISSING_NODE", ("a configured node is not in the state; "
                                                "taken as offline")
    STATE_UNKNOWN_NODE = "STATE_UNKNOWN_NODE", "a node in the state is not configured; ignored"
    STATE_UNKNOWN_RESOURCE = "STATE_UNKNOWN_RESOURCE", ("a resource in the state is not "
                                                        "configured (an orphan)")
    CIB_UNREADABLE = "CIB_UNREADABLE", "the CIB file cannot be read"
    BAD_FAIL_SPEC = "BAD_FAIL_SPEC", "`--fail` is not RESOURCE:NODE"
    UNKNOWN_NODE = "UNKNOWN_NODE", "an event names a node that is not configured"
    UNKNOWN_RESOURCE = "UNKNOWN_RESOURCE", "`--fail` names a resource that is not configured"
    FAIL_NOT_PRIMITIVE = "FAIL_NOT_PRIMITIVE", ("`--fail` names a group or clone; failures "
                                                "happen to primitives")
    CONFLICTING_EVENTS = "CONFLICTING_EVENTS", "one node is asked to go both up and down"
    NO_CLUSTER_STATUS = "NO_CLUSTER_STATUS", ("the coordinator's view of the resources is "
                                              "unavailable (against a live cluster)")
    # --- hactl import pacemaker: the file -----------------------------------------------
    IMPORT_WOULD_OVERWRITE = "IMPORT_WOULD_OVERWRITE", ("the output files exist; nothing is "
                                                        "written without `--force`")
    IMPORT_WRITE_FAILED = "IMPORT_WRITE_FAILED", "an output file cannot be written"
    PCMK_IMPORT_FAILED = "PCMK_IMPORT_FAILED", "the CIB could not be read at all"
    PCMK_XML_INVALID = "PCMK_XML_INVALID", "the CIB is not well-formed XML"
    PCMK_NOT_A_CIB = "PCMK_NOT_A_CIB", "no `<cib>` with a `<configuration>` section"
    PCMK_NO_NODES = "PCMK_NO_NODES", "the CIB configures no usable node"
    # --- the CIB's configuration --------------------------------------------------------
    PCMK_INVALID_NODE = "PCMK_INVALID_NODE", "a node without `uname`"
    PCMK_DUPLICATE_NODE = "PCMK_DUPLICATE_NODE", "a node defined twice"
    PCMK_NODE_ID_RENUMBERED = "PCMK_NODE_ID_RENUMBERED", ("a node id that is not a positive "
                                                          "integer; another is used")
    PCMK_INVALID_RESOURCE = "PCMK_INVALID_RESOURCE", "a resource without an id or an agent"
    PCMK_DUPLICATE_ID = "PCMK_DUPLICATE_ID", "a resource id used twice"
    PCMK_INVALID_OP = "PCMK_INVALID_OP", "an operation without a name, or with bad values"
    PCMK_IGNORED_OP = "PCMK_IGNORED_OP", "a disabled operation, left out"
    PCMK_INVALID_NVPAIR = "PCMK_INVALID_NVPAIR", "an nvpair without a name"
    PCMK_INVALID_BOOLEAN = "PCMK_INVALID_BOOLEAN", "a value that should be a boolean is not"
    PCMK_INVALID_INTEGER = "PCMK_INVALID_INTEGER", "a value that should be an integer is not"
    PCMK_INVALID_DURATION = "PCMK_INVALID_DURATION", "a value that should be a duration is not"
    PCMK_INVALID_SCORE = "PCMK_INVALID_SCORE", "a value that should be a score is not"
    PCMK_INVALID_ROLE = "PCMK_INVALID_ROLE", "a value that should be a role is not"
    PCMK_INVALID_CONSTRAINT = "PCMK_INVALID_CONSTRAINT", "a constraint missing a required attribute"
    PCMK_INVALID_RULE = "PCMK_INVALID_RULE", "a rule whose boolean-op is not and/or"
    PCMK_INVALID_EXPRESSION = "PCMK_INVALID_EXPRESSION", ("an expression without attribute and "
                                                          "operation")
    PCMK_DEPRECATED_MASTER = "PCMK_DEPRECATED_MASTER", ("`<master>` is deprecated; read as a "
                                                        "promotable clone")
    PCMK_DEPRECATED_PROPERTY = "PCMK_DEPRECATED_PROPERTY", ("a deprecated cluster property, "
                                                            "read where it now belongs")
    PCMK_CLONE_NODE_MAX_IGNORED = "PCMK_CLONE_NODE_MAX_IGNORED", ("clone-node-max on an "
                                                                  "anonymous clone; Pacemaker "
                                                                  "ignores it too")
    PCMK_CLONE_CHILD_REFERENCE = "PCMK_CLONE_CHILD_REFERENCE", ("a constraint names a clone's "
                                                                "child; the clone is used")
    PCMK_EMPTY_GROUP = "PCMK_EMPTY_GROUP", "a group with no usable member; left out"
    PCMK_EMPTY_CLONE = "PCMK_EMPTY_CLONE", "a clone with no usable child; left out"
    PCMK_IGNORED_META = "PCMK_IGNORED_META", "a meta-attribute hafailover does not model; ignored"
    PCMK_IGNORED_CONSTRAINT = "PCMK_IGNORED_CONSTRAINT", ("a constraint on a fence device; "
                                                          "left out")
    PCMK_IGNORED_RESOURCE_DISCOVERY = "PCMK_IGNORED_RESOURCE_DISCOVERY", ("resource-discovery "
                                                                          "is ignored")
    PCMK_UNKNOWN_RESOURCE = "PCMK_UNKNOWN_RESOURCE", ("a constraint names no resource; left out "
                                                      "(Pacemaker ignores it too)")
    PCMK_LOCATION_ROLE_WITH_RULES = "PCMK_LOCATION_ROLE_WITH_RULES", ("a role on a location with "
                                                                      "rules, which Pacemaker "
                                                                      "ignores; left out")
    PCMK_ORDER_NEGATIVE_SCORE = "PCMK_ORDER_NEGATIVE_SCORE", ("a negative order score, read as "
                                                              "Mandatory")
    # --- the CIB's status ---------------------------------------------------------------
    PCMK_NO_QUORUM_ATTRIBUTE = "PCMK_NO_QUORUM_ATTRIBUTE", ("no `have-quorum`; Pacemaker reads "
                                                            "that as no quorum")
    PCMK_UNKNOWN_NODE = "PCMK_UNKNOWN_NODE", "a node_state for a node that is not configured"
    PCMK_NODE_NEVER_SEEN = "PCMK_NODE_NEVER_SEEN", ("a node with no node_state: Pacemaker fences "
                                                    "it (startup-fencing)")
    PCMK_NODE_PENDING = "PCMK_NODE_PENDING", ("a node online but not ready to run resources; "
                                              "read as standby")
    PCMK_OFFLINE_NODE_ACTIVE = "PCMK_OFFLINE_NODE_ACTIVE", ("an offline node with a resource "
                                                            "recorded active; read as unclean")
    PCMK_INVALID_EXECUTION_DATE = "PCMK_INVALID_EXECUTION_DATE", ("an operation's "
                                                                  "execution-date is not "
                                                                  "seconds since the epoch")
    PCMK_INVALID_FAIL_COUNT = "PCMK_INVALID_FAIL_COUNT", "a fail count that is not a count"
    PCMK_ORPHAN_FAIL_COUNT = "PCMK_ORPHAN_FAIL_COUNT", ("a fail count for a resource that is not "
                                                        "configured; ignored")
    PCMK_ORPHAN_RESOURCE = "PCMK_ORPHAN_RESOURCE", ("history of a resource that is not "
                                                    "configured; ignored")
    PCMK_FAILURE_AFFECTS_NODE = "PCMK_FAILURE_AFFECTS_NODE", ("a failure whose on-fail (fence, "
                                                              "standby) changes how its node is "
                                                              "read")
    # --- the CIB's features hafailover does not have (each is left out) -----------------
    PCMK_UNSUPPORTED_PROPERTY = "PCMK_UNSUPPORTED_PROPERTY", "a cluster property"
    PCMK_UNSUPPORTED_NO_QUORUM_POLICY = "PCMK_UNSUPPORTED_NO_QUORUM_POLICY", ("a no-quorum-policy "
                                                                              "other than stop, "
                                                                              "freeze, ignore; "
                                                                              "stop is used")
    PCMK_UNSUPPORTED_RSC_DEFAULT = "PCMK_UNSUPPORTED_RSC_DEFAULT", "a resource default"
    PCMK_UNSUPPORTED_META = "PCMK_UNSUPPORTED_META", "a meta-attribute"
    PCMK_UNSUPPORTED_NODE_TYPE = "PCMK_UNSUPPORTED_NODE_TYPE", "a node type (remote, guest)"
    PCMK_UNSUPPORTED_NODE_SHUTDOWN = "PCMK_UNSUPPORTED_NODE_SHUTDOWN", "a node shutting down"
    PCMK_UNSUPPORTED_RESOURCE = "PCMK_UNSUPPORTED_RESOURCE", "a kind of resource element"
    PCMK_UNSUPPORTED_BUNDLE = "PCMK_UNSUPPORTED_BUNDLE", "a bundle"
    PCMK_UNSUPPORTED_TEMPLATE = "PCMK_UNSUPPORTED_TEMPLATE", "a primitive made from a template"
    PCMK_UNSUPPORTED_GROUP_CHILD = "PCMK_UNSUPPORTED_GROUP_CHILD", ("something other than a "
                                                                    "primitive inside a group")
    PCMK_UNSUPPORTED_CLONE_CHILD = "PCMK_UNSUPPORTED_CLONE_CHILD", ("something other than a "
                                                                    "primitive or group inside "
                                                                    "a clone")
    PCMK_UNSUPPORTED_UNIQUE_CLONE = "PCMK_UNSUPPORTED_UNIQUE_CLONE", "globally-unique=true"
    PCMK_UNSUPPORTED_STONITH_CLONE = "PCMK_UNSUPPORTED_STONITH_CLONE", "a cloned stonith primitive"
    PCMK_UNSUPPORTED_STONITH_IN_GROUP = "PCMK_UNSUPPORTED_STONITH_IN_GROUP", ("a stonith "
                                                                              "primitive inside a "
                                                                              "group")
    PCMK_UNSUPPORTED_UTILIZATION = "PCMK_UNSUPPORTED_UTILIZATION", "resource utilization"
    PCMK_UNSUPPORTED_IDREF = "PCMK_UNSUPPORTED_IDREF", "an `id-ref` to another element"
    PCMK_UNSUPPORTED_ON_FAIL = "PCMK_UNSUPPORTED_ON_FAIL", "an on-fail value"
    PCMK_UNSUPPORTED_MIGRATION = "PCMK_UNSUPPORTED_MIGRATION", "live migration history"
    PCMK_UNSUPPORTED_CONSTRAINT = "PCMK_UNSUPPORTED_CONSTRAINT", "a kind of constraint"
    PCMK_UNSUPPORTED_TICKET = "PCMK_UNSUPPORTED_TICKET", "a ticket constraint (`rsc_ticket`)"
    PCMK_UNSUPPORTED_RESOURCE_SET = "PCMK_UNSUPPORTED_RESOURCE_SET", "a resource set"
    PCMK_UNSUPPORTED_RSC_PATTERN = "PCMK_UNSUPPORTED_RSC_PATTERN", "`rsc-pattern` in a location"
    PCMK_UNSUPPORTED_ORDER_ACTION = "PCMK_UNSUPPORTED_ORDER_ACTION", ("an order action other than "
                                                                      "start, stop, promote, "
                                                                      "demote")
    PCMK_UNSUPPORTED_ORDER_INSTANCE = "PCMK_UNSUPPORTED_ORDER_INSTANCE", ("an order on one "
                                                                          "clone instance")
    PCMK_UNSUPPORTED_COLOCATION_NODE_ATTRIBUTE = (
        "PCMK_UNSUPPORTED_COLOCATION_NODE_ATTRIBUTE", "a colocation by a node attribute other "
        "than `#uname`")
    PCMK_UNSUPPORTED_COLOCATION_RSC_INSTANCE = ("PCMK_UNSUPPORTED_COLOCATION_RSC_INSTANCE",
                                                "a colocation of one clone instance")
    PCMK_UNSUPPORTED_COLOCATION_WITH_RSC_INSTANCE = (
        "PCMK_UNSUPPORTED_COLOCATION_WITH_RSC_INSTANCE", "a colocation with one clone instance")
    PCMK_UNSUPPORTED_NVSET_RULE = "PCMK_UNSUPPORTED_NVSET_RULE", ("a rule inside a set of "
                                                                  "attributes")
    PCMK_UNSUPPORTED_RULE_EXPRESSION = "PCMK_UNSUPPORTED_RULE_EXPRESSION", ("a kind of rule "
                                                                            "expression (dates, "
                                                                            "operations)")
    PCMK_UNSUPPORTED_SCORE_ATTRIBUTE = "PCMK_UNSUPPORTED_SCORE_ATTRIBUTE", ("score-attribute in "
                                                                            "a rule")
    PCMK_UNSUPPORTED_VALUE_SOURCE = "PCMK_UNSUPPORTED_VALUE_SOURCE", ("a value-source other than "
                                                                      "literal")
    PCMK_UNSUPPORTED_OP_DEFAULTS = "PCMK_UNSUPPORTED_OP_DEFAULTS", "`<op_defaults>`"
    PCMK_UNSUPPORTED_ACLS = "PCMK_UNSUPPORTED_ACLS", "`<acls>`"
    PCMK_UNSUPPORTED_TAGS = "PCMK_UNSUPPORTED_TAGS", "`<tags>`"
    PCMK_UNSUPPORTED_ALERTS = "PCMK_UNSUPPORTED_ALERTS", "`<alerts>`"
    PCMK_UNSUPPORTED_FENCING_TOPOLOGY = "PCMK_UNSUPPORTED_FENCING_TOPOLOGY", "`<fencing-topology>`"


def markdown_table() -> str:
    """docs/report-codes.md's table: every code and its meaning, in this module's order."""
    rows = [f"| `{code.value}` | {code.meaning} |" for code in Code]
    return "\n".join(["| Code | Meaning |", "| --- | --- |", *rows]) + "\n"
