"""The replicated cluster-state document: versions, changes, the merge rule, JSON, snapshots."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafailover.config.model import ClusterConfig, Expression, Location, Node, Role, Rule
from hafailover.config.scores import INFINITY
from hafailover.core.state import FailCount, ResourceInstance
from hafailover.store.document import (
    Document,
    DocumentError,
    RuntimeLocation,
    Version,
    add_runtime_location,
    bump_admin_epoch,
    choose,
    expire_runtime_locations,
    from_json,
    initial,
    remove_runtime_locations,
    replace_config,
    set_failures,
    set_node_attribute,
    snapshot,
    to_json,
)

pytestmark = pytest.mark.tier0

CONFIG = "cluster: {name: c}\n"


def ban(resource: str, node: str, expires: float | None = None) -> RuntimeLocation:
    location = Location(id=f"ban-{resource}-{node}", resource=resource, node=node,
                        score=-INFINITY)
    return RuntimeLocation(location=location, expires=expires)


def prefer(resource: str, node: str, expires: float | None = None) -> RuntimeLocation:
    location = Location(id=f"prefer-{resource}", resource=resource, node=node, score=INFINITY)
    return RuntimeLocation(location=location, expires=expires)


# --- versions and changes ---------------------------------------------------------------


def test_version_prints_like_pacemaker() -> None:
    assert str(Version(0, 3, 12)) == "0.3.12"


def test_versions_compare_admin_epoch_then_epoch_then_updates() -> None:
    assert Version(0, 2, 0) > Version(0, 1, 99)
    assert Version(1, 0, 0) > Version(0, 99, 99)
    assert Version(0, 1, 2) > Version(0, 1, 1)


def test_initial_document_is_version_zero_with_nothing_else() -> None:
    doc = initial(CONFIG, "n1")
    assert doc.version == Version(0, 0, 0)
    assert doc.origin == "n1"
    assert dict(doc.node_attributes) == {}
    assert doc.runtime_locations == ()
    assert doc.failures == ()


def test_new_configuration_raises_epoch_and_resets_updates() -> None:
    doc = set_node_attribute(initial(CONFIG, "n1"), "n1", "rack", "a", "n1")
    changed = replace_config(doc, "cluster: {name: d}\n", "n2")
    assert changed.version == Version(0, 1, 0)
    assert changed.origin == "n2"
    assert changed.config_yaml == "cluster: {name: d}\n"


def test_same_configuration_changes_nothing() -> None:
    doc = initial(CONFIG, "n1")
    assert replace_config(doc, CONFIG, "n2") is doc


def test_node_attribute_raises_updates() -> None:
    doc = set_node_attribute(initial(CONFIG, "n1"), "n1", "standby", "on", "n1")
    assert doc.version == Version(0, 0, 1)
    assert doc.node_attributes == {"n1": {"standby": "on"}}


def test_setting_an_attribute_to_its_value_changes_nothing() -> None:
    doc = set_node_attribute(initial(CONFIG, "n1"), "n1", "standby", "on", "n1")
    assert set_node_attribute(doc, "n1", "standby", "on", "n2") is doc
    assert set_node_attribute(doc, "n1", "absent", None, "n2") is doc


def test_removing_the_last_attribute_drops_the_node() -> None:
    doc = set_node_attribute(initial(CONFIG, "n1"), "n1", "standby", "on", "n1")
    doc = set_node_attribute(doc, "n2", "rack", "b", "n1")
    doc = set_node_attribute(doc, "n1", "standby", None, "n1")
    assert doc.node_attributes == {"n2": {"rack": "b"}}
    assert doc.version == Version(0, 0, 3)


def test_move_raises_epoch() -> None:
    doc = add_runtime_location(initial(CONFIG, "n1"), prefer("web", "n2"), "n1")
    assert doc.version == Version(0, 1, 0)
    assert doc.runtime_locations == (prefer("web", "n2"),)


def test_new_move_replaces_the_one_with_the_same_id() -> None:
    doc = add_runtime_location(initial(CONFIG, "n1"), prefer("web", "n2"), "n1")
    doc = add_runtime_location(doc, prefer("web", "n3"), "n1")
    assert doc.runtime_locations == (prefer("web", "n3"),)


def test_adding_an_existing_move_changes_nothing() -> None:
    doc = add_runtime_location(initial(CONFIG, "n1"), prefer("web", "n2"), "n1")
    assert add_runtime_location(doc, prefer("web", "n2"), "n2") is doc


def test_clear_removes_every_move_and_ban_of_the_resource() -> None:
    doc = initial(CONFIG, "n1")
    for item in (ban("web", "n1"), ban("web", "n2"), ban("db", "n1")):
        doc = add_runtime_location(doc, item, "n1")
    cleared, removed = remove_runtime_locations(doc, "n1", resource="web")
    assert set(removed) == {ban("web", "n1"), ban("web", "n2")}
    assert cleared.runtime_locations == (ban("db", "n1"),)
    assert cleared.version > doc.version


def test_clear_for_one_node_keeps_the_others() -> None:
    doc = initial(CONFIG, "n1")
    for item in (ban("web", "n1"), ban("web", "n2")):
        doc = add_runtime_location(doc, item, "n1")
    cleared, removed = remove_runtime_locations(doc, "n1", resource="web", node="n2")
    assert removed == (ban("web", "n2"),)
    assert cleared.runtime_locations == (ban("web", "n1"),)


def test_clear_of_nothing_changes_nothing() -> None:
    doc = add_runtime_location(initial(CONFIG, "n1"), ban("web", "n1"), "n1")
    assert remove_runtime_locations(doc, "n2", resource="db") == (doc, ())


def test_expired_moves_are_dropped_and_returned() -> None:
    doc = initial(CONFIG, "n1")
    for item in (ban("web", "n1", expires=100.0), ban("db", "n1", expires=300.0),
                 ban("ip", "n1")):
        doc = add_runtime_location(doc, item, "n1")
    expired, removed = expire_runtime_locations(doc, 100.0, "n1")
    assert removed == (ban("web", "n1", expires=100.0),)
    assert expired.runtime_locations == (ban("db", "n1", expires=300.0), ban("ip", "n1"))
    assert expire_runtime_locations(expired, 200.0, "n1") == (expired, ())


def test_failures_in_any_order_give_the_same_document() -> None:
    one = FailCount("web", "n1", 1, 10.0)
    two = FailCount("db", "n2", INFINITY, 20.0)
    base = initial(CONFIG, "n1")
    forward, backward = set_failures(base, [one, two], "n1"), set_failures(base, [two, one], "n1")
    assert forward == backward
    assert forward.version == Version(0, 0, 1)
    assert set_failures(forward, [one, two], "n2") is forward


def test_admin_epoch_bump_wins_over_any_later_epoch() -> None:
    doc = bump_admin_epoch(initial(CONFIG, "n1"), "n1")
    assert doc.version == Version(1, 0, 0)
    busy = initial(CONFIG, "n2")
    for index in range(5):
        busy = replace_config(busy, f"# {index}\n", "n2")
    assert choose([busy, doc]) is doc


# --- digest and the merge rule ----------------------------------------------------------


def test_digest_ignores_version_and_origin() -> None:
    doc = initial(CONFIG, "n1")
    other = Document(version=Version(3, 4, 5), config_yaml=CONFIG, origin="n9")
    assert doc.digest == other.digest
    assert len(doc.digest) == 64


def test_digest_changes_with_content() -> None:
    doc = initial(CONFIG, "n1")
    assert set_node_attribute(doc, "n1", "rack", "a", "n1").digest != doc.digest


def test_choose_keeps_the_highest_version() -> None:
    old = initial(CONFIG, "n1")
    new = set_node_attribute(old, "n1", "standby", "on", "n1")
    assert choose([old, new]) is new
    assert choose([new, old]) is new


def test_choose_breaks_a_tie_by_the_lowest_digest_in_any_order() -> None:
    base = initial(CONFIG, "n1")
    left = set_node_attribute(base, "n1", "side", "left", "n1")
    right = set_node_attribute(base, "n2", "side", "right", "n2")
    assert left.version == right.version
    expected = min(left, right, key=lambda doc: doc.digest)
    assert choose([left, right]) is expected
    assert choose([right, left]) is expected


def test_choose_needs_a_document() -> None:
    with pytest.raises(ValueError, match="at least one"):
        choose([])


# --- JSON -------------------------------------------------------------------------------


def full_document() -> Document:
    rule = Rule(score=50, expressions=(Expression("rack", "eq", "a"),
                                       Expression("ssd", "defined", type="string")),
                boolean_op="or", role=Role.PROMOTED)
    ruled = RuntimeLocation(Location(id="rack-a", resource="db", score=50, rules=(rule,)))
    doc = initial(CONFIG, "n1")
    doc = add_runtime_location(doc, ruled, "n1")
    doc = add_runtime_location(doc, ban("web", "n2", expires=1700000000.5), "n1")
    doc = set_node_attribute(doc, "n1", "standby", "on", "n1")
    return set_failures(doc, [FailCount("web", "n2", 3, 1699999999.0)], "n2")


def test_json_round_trip_keeps_every_field() -> None:
    doc = full_document()
    data = json.loads(json.dumps(to_json(doc)))
    assert data["format"] == 1
    assert from_json(data) == doc
    assert from_json(data).digest == doc.digest


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = to_json(full_document())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "message"), [
    (["version", "epoch"], "x", "version.epoch: expected an integer, found 'x'"),
    (["version", "updates"], True, "version.updates: expected an integer, found True"),
    (["version", "admin_epoch"], -1, "version.admin_epoch: expected 0 or more, found -1"),
    (["config_yaml"], 3, "config_yaml: expected a string, found 3"),
    (["node_attributes", "n1", "standby"], 1, "node_attributes.n1.standby: expected a string"),
    (["runtime_locations", 1, "score"], "-INFINITY",
     "runtime_locations[1].score: expected an integer, found '-INFINITY'"),
    (["runtime_locations", 1, "expires"], "soon",
     "runtime_locations[1].expires: expected a finite number"),
    (["runtime_locations", 0, "role"], "Master",
     "runtime_locations[0].role: expected one of Stopped, Started, Unpromoted, Promoted"),
    (["runtime_locations", 1, "rules", 0, "expressions", 0, "operation"], "like",
     "runtime_locations[1].rules[0].expressions[0].operation: expected one of eq"),
    (["failures"], {}, "failures: expected a list, found {}"),
    (["failures", 0, "last_failure"], float("nan"), "failures[0].last_failure: expected a finite"),
    (["failures", 0, "colour"], "red", "failures[0].colour: unknown key"),
    (["format"], 2, "format: this hafailover reads format 1, found 2"),
])
def test_malformed_json_names_the_key(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        from_json(broken(path, value))
    assert str(caught.value).startswith(message)


def test_missing_key_is_named() -> None:
    data = to_json(full_document())
    del data["version"]["epoch"]
    with pytest.raises(DocumentError, match=r"^version\.epoch: missing$"):
        from_json(data)


# --- snapshot ---------------------------------------------------------------------------


def three_nodes() -> ClusterConfig:
    return ClusterConfig(name="c", nodes=tuple(Node(name=f"n{i}", node_id=i) for i in (1, 2, 3)))


def test_snapshot_has_one_node_per_configured_node() -> None:
    doc = initial(CONFIG, "n1")
    doc = set_node_attribute(doc, "n1", "standby", "on", "n1")
    doc = set_node_attribute(doc, "n2", "maintenance", "TRUE", "n1")
    doc = set_node_attribute(doc, "n2", "rack", "b", "n1")
    doc = set_node_attribute(doc, "ghost", "rack", "z", "n1")
    state = snapshot(doc, three_nodes(), members=["n1", "n2"], unclean=["n3"], quorate=True,
                     now=50.0)
    assert [node.name for node in state.nodes] == ["n1", "n2", "n3"]
    n1, n2, n3 = state.nodes
    assert n1.online and n1.standby and not n1.maintenance
    assert n2.online and n2.maintenance and not n2.standby
    assert n2.attributes == {"rack": "b"}
    assert not n3.online and n3.unclean
    assert state.quorate and state.now == 50.0


def test_snapshot_carries_failures_resources_and_only_live_moves() -> None:
    failure = FailCount("web", "n1", 2, 40.0)
    doc = initial(CONFIG, "n1")
    doc = set_failures(doc, [failure], "n1")
    doc = add_runtime_location(doc, ban("web", "n1", expires=50.0), "n1")
    doc = add_runtime_location(doc, prefer("web", "n2", expires=60.0), "n1")
    running = ResourceInstance(resource="web", node="n2")
    state = snapshot(doc, three_nodes(), members=["n1", "n2", "n3"], resources=[running],
                     quorate=False, now=50.0)
    assert state.failures == (failure,)
    assert state.resources == (running,)
    assert state.runtime_locations == (prefer("web", "n2").location,)
    assert not state.quorate


# --- properties -------------------------------------------------------------------------

names = st.text(alphabet="abcdefgh0123456789-", min_size=1, max_size=6)
finite = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)
locations = st.builds(
    RuntimeLocation,
    location=st.builds(Location, id=names, resource=names, node=names,
                       score=st.integers(-INFINITY, INFINITY),
                       role=st.none() | st.sampled_from(Role)),
    expires=st.none() | finite,
)
failures = st.builds(FailCount, resource=names, node=names,
                     count=st.integers(1, INFINITY), last_failure=finite)
versions = st.builds(Version, st.integers(0, 2), st.integers(0, 3), st.integers(0, 3))


@st.composite
def documents(draw: st.DrawFn) -> Document:
    attributes = draw(st.dictionaries(names, st.dictionaries(names, st.text(), max_size=3),
                                      max_size=3))
    doc = Document(version=draw(versions), config_yaml=draw(st.text(max_size=40)),
                   origin=draw(names))
    for node, values in attributes.items():
        for name, value in values.items():
            doc = set_node_attribute(doc, node, name, value, doc.origin)
    for item in draw(st.lists(locations, max_size=4)):
        doc = add_runtime_location(doc, item, doc.origin)
    return set_failures(doc, draw(st.lists(failures, max_size=4)), doc.origin)


@given(documents())
def test_json_round_trip_property(doc: Document) -> None:
    assert from_json(json.loads(json.dumps(to_json(doc)))) == doc


@given(st.lists(documents(), min_size=1, max_size=6), st.randoms())
def test_choose_is_order_independent_and_keeps_the_highest(
    docs: list[Document], rng: random.Random
) -> None:
    chosen = choose(docs)
    shuffled = list(docs)
    rng.shuffle(shuffled)
    assert choose(shuffled) == chosen
    assert all(chosen.version >= doc.version for doc in docs)
    assert chosen in docs
