"""The benchmark's cluster generator builds valid, reproducible clusters (no timings here)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from hafailover.config.model import Clone, ClusterConfig, Group, iter_tree, parent_map
from hafailover.core.state import ClusterState

pytestmark = pytest.mark.tier0

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


clusters = _load("clusters")


@pytest.fixture(scope="module", params=[(100, 3), (300, 16)], ids=["100x3", "300x16"])
def cluster(request: pytest.FixtureRequest) -> tuple[ClusterConfig, ClusterState]:
    resources, nodes = request.param
    config, state = clusters.build_cluster(resources, nodes, seed=7)
    assert isinstance(config, ClusterConfig) and isinstance(state, ClusterState)
    return config, state


def test_generator_builds_at_least_the_requested_resources_over_the_requested_nodes(
        cluster: tuple[ClusterConfig, ClusterState]) -> None:
    config, state = cluster
    primitives = sum(1 for _ in config.primitives())
    requested = int(config.name.split("-")[1].split("x")[0])
    assert requested <= primitives < requested + 3  # the last unit may be a group of three
    assert len(config.nodes) == len(state.nodes) == int(config.name.split("x")[1])
    kinds = Counter(type(r).__name__ + ("-promotable" if isinstance(r, Clone) and r.promotable
                                         else "") for r in config.resources)
    assert set(kinds) == {"Primitive", "Group", "Clone", "Clone-promotable"}, kinds


def test_every_id_is_unique_across_resources_and_constraints(
        cluster: tuple[ClusterConfig, ClusterState]) -> None:
    config, _state = cluster
    ids = [r.id for top in config.resources for r in iter_tree(top)]
    constraints = config.constraints
    ids += [c.id for c in constraints.locations]
    ids += [c.id for c in constraints.colocations]
    ids += [c.id for c in constraints.orders]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates


def test_constraints_name_existing_top_level_resources_and_nodes(
        cluster: tuple[ClusterConfig, ClusterState]) -> None:
    config, _state = cluster
    top = {r.id for r in config.resources}
    nodes = set(config.node_names())
    constraints = config.constraints
    for loc in constraints.locations:
        assert loc.resource in top, loc
        assert (loc.node is None) != (not loc.rules), loc
        assert loc.node is None or loc.node in nodes, loc
    for col in constraints.colocations:
        assert {col.resource, col.with_resource} <= top, col
        assert col.resource != col.with_resource, col
    for order in constraints.orders:
        assert {order.first, order.then} <= top, order


def test_colocations_and_orders_have_no_cycles(
        cluster: tuple[ClusterConfig, ClusterState]) -> None:
    config, _state = cluster
    position = {r.id: i for i, r in enumerate(config.resources)}
    for col in config.constraints.colocations:
        assert position[col.with_resource] < position[col.resource], col
    for order in config.constraints.orders:
        assert position[order.first] < position[order.then], order


def test_current_state_is_consistent_with_the_configuration(
        cluster: tuple[ClusterConfig, ClusterState]) -> None:
    config, state = cluster
    primitives = {p.id for p in config.primitives()}
    parents = parent_map(config)
    clones = {r.id: r for r in config.resources if isinstance(r, Clone)}
    nodes = set(config.node_names())
    assert all(n.online and not n.unclean for n in state.nodes)
    per_primitive = Counter(r.resource for r in state.resources)
    for inst in state.resources:
        assert inst.resource in primitives and inst.node in nodes, inst
    for pid, count in per_primitive.items():
        clone = clones.get(parents.get(pid, ""))
        if clone is None:
            assert count == 1, pid
        else:
            assert count <= (clone.clone_max or len(nodes)), pid
    # most resources already run somewhere
    assert len(per_primitive) >= 0.75 * len(primitives)
    # group members run together
    for group in (r for r in config.resources if isinstance(r, Group)):
        nodes_of = {i.node for i in state.resources if parents.get(i.resource) == group.id}
        assert len(nodes_of) <= 1, group.id
    for failure in state.failures:
        assert failure.resource in primitives and failure.node in nodes, failure


def test_generator_is_deterministic_for_a_seed_and_varies_with_it() -> None:
    first = clusters.build_cluster(200, 5, seed=3)
    assert clusters.build_cluster(200, 5, seed=3) == first
    assert clusters.build_cluster(200, 5, seed=4) != first


def test_bench_script_parses_its_options() -> None:
    """The script imports (with bench/ on the path, as when run) and knows its sizes."""
    sys.path.insert(0, str(BENCH))
    try:
        script = _load("scheduler")
    finally:
        sys.path.remove(str(BENCH))
    assert script.SIZES == (100, 1_000, 10_000)
    assert script.NODE_COUNTS == (3, 16, 32)
    assert script.runs_for(10_000) < script.runs_for(100)
