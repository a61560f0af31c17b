"""The agent's user guide matches the code: every field of the status document is
documented, every Peer RPC is described, and the systemd unit runs the agent."""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
AGENT = ROOT / "src" / "hafailover" / "agent"

# dict literals that make up the status document: build_status itself, the coordinator's
# list of instances, and one event of the history
STATUS_SOURCES = [(AGENT / "status.py", "build_status"),
                  (AGENT / "status.py", "cluster_section"),
                  (AGENT / "status.py", "resource_tree"),
                  (AGENT / "transitions.py", "result_arrived"),
                  (AGENT / "control_service.py", "Status"),
                  (ROOT / "src" / "hafailover" / "store" / "document.py",
                   "fence_record_json"),
                  (AGENT / "cluster_resources.py", "as_json"),
                  (AGENT / "events.py", "as_json")]


def dict_keys(path: Path, function: str) -> set[str]:
    """The string keys of every dict literal, and every ``entry["key"] = ...``, in the
    functions named ``function`` in ``path``."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name == function):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Dict):
                keys |= {k.value for k in inner.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            elif isinstance(inner, ast.Assign):
                for target in inner.targets:
                    if (isinstance(target, ast.Subscript)
                            and isinstance(target.slice, ast.Constant)
                            and isinstance(target.slice.value, str)):
                        keys.add(target.slice.value)
    return keys


def documented_fields() -> set[str]:
    """The last part of each field path in the first column of the tables of the
    "Fields" section of docs/status.md (`nodes[].last_heard_ms` -> last_heard_ms)."""
    text = (DOCS / "status.md").read_text()
    section = text.split("## Fields", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| `([a-z_\[\].]+)` \|", section, flags=re.MULTILINE)
    return {re.split(r"[.\[\]]+", path.rstrip("[]"))[-1] for path in paths}


def test_every_field_of_the_status_document_is_documented() -> None:
    emitted = set()
    for path, function in STATUS_SOURCES:
        emitted |= dict_keys(path, function)
    assert "format" in emitted and "last_heard_ms" in emitted  # the parse found them

    documented = documented_fields()

    assert emitted - documented == set(), "fields missing from docs/status.md"
    assert documented - emitted == set(), "docs/status.md documents fields the code lacks"


def test_every_peer_rpc_is_described_in_the_protocol_page() -> None:
    proto = (ROOT / "proto" / "hafailover" / "v1" / "peer.proto").read_text()
    rpcs = set(re.findall(r"^\s*rpc\s+(\w+)\s*\(", proto, flags=re.MULTILINE))
    assert "PublishView" in rpcs
    described = set(re.findall(r"^\| `(\w+)` \|", (DOCS / "protocol.md").read_text(),
                               flags=re.MULTILINE))

    assert rpcs - described == set()


def test_the_systemd_unit_runs_the_agent_and_reloads_with_sighup() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((ROOT / "packaging" / "systemd" / "hafailover.service").read_text())
    service = unit["Service"]

    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "hafailover"
    assert argv[1] == "agent"
    assert service["KillSignal"] == "SIGTERM"
    assert "-HUP" in service["ExecReload"]
    timeout = re.fullmatch(r"(\d+)s?", service["TimeoutStopSec"])
    assert timeout is not None
    assert int(timeout.group(1)) > hand_over_timeout()  # room for the local stops too


def hand_over_timeout() -> float:
    """How long a stopping agent waits for its resources to move away (daemon.py)."""
    for node in ast.parse((AGENT / "daemon.py").read_text()).body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "HAND_OVER_TIMEOUT"
                and isinstance(node.value, ast.Constant)):
            value = node.value.value
            assert isinstance(value, int | float)
            return float(value)
    raise AssertionError("HAND_OVER_TIMEOUT not found in daemon.py")


def test_the_guide_index_lists_every_agent_page() -> None:
    index = (DOCS / "README.md").read_text()
    for page in ("operations.md", "status.md", "protocol.md", "state.md"):
        assert f"]({page})" in index, page
        assert (DOCS / page).exists(), page
