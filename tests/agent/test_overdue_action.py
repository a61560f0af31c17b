"""An action that runs well past its timeout is logged with where the agent waits for it.

The executor kills an agent at its timeout, so a real overdue action is a fault in
hafailover itself; here the coordinator's request says a shorter timeout than the one
the executor enforces, which makes a real start (ocf:heartbeat:Delay) overdue.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from hafailover.agent import resources as resources_module
from hafailover.agent.resources import LocalResources
from hafailover.config.loader import load_config_text
from hafailover.v1 import peer_pb2

pytestmark = [
    pytest.mark.tier1,
    pytest.mark.skipif(not Path("/usr/lib/ocf/resource.d/heartbeat/Delay").is_file(),
                       reason="ocf:heartbeat:Delay is not installed (resource-agents)"),
]

CONFIG = """\
cluster: {name: c}
nodes: [{name: n1}]
properties: {stonith-enabled: false}
resources:
  - primitive: slow
    agent: ocf:heartbeat:Delay
    params: {startdelay: 1, stopdelay: 0}
    operations:
      - {name: start, timeout: 10s}
"""


def overdue_records(run_dir: Path, request_timeout_ms: int,
                    ) -> tuple[str, list[MutableMapping[str, Any]]]:
    config = load_config_text(CONFIG).config
    assert config is not None

    async def main() -> str:
        local = LocalResources("n1", config, lambda _: None, run_dir=run_dir)
        try:
            result = await local.run_action(peer_pb2.ActionRequest(
                action="start", resource="slow", timeout_ms=request_timeout_ms))
            await local.run_action(peer_pb2.ActionRequest(action="stop", resource="slow",
                                                          timeout_ms=10000))
            return result.status
        finally:
            await local.close()

    with capture_logs() as logs:
        status = asyncio.run(main())
    return status, [r for r in logs if r.get("kind") == "diagnostics"]


def test_an_action_past_its_timeout_is_logged_with_where_it_waits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # overdue 0.3 s after the request, while the 1 s start still runs
    monkeypatch.setattr(resources_module, "OVERDUE_AFTER", -0.7)
    status, records = overdue_records(tmp_path, request_timeout_ms=1000)
    assert status == "ok"  # it was only reported, not stopped
    (record,) = records
    assert record["log_level"] == "error"
    assert "start of slow on n1 has run" in str(record["event"])
    waits_in = [str(f) for f in record["waits_in"]]
    assert any("in run_action" in f for f in waits_in), waits_in
    assert any(f.startswith("runner.py:") for f in waits_in), waits_in


def test_an_action_within_its_timeout_logs_nothing(tmp_path: Path) -> None:
    status, records = overdue_records(tmp_path, request_timeout_ms=10000)
    assert status == "ok" and records == []


def test_the_coordinator_abandons_its_own_action_at_the_same_deadline_as_a_peers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A local action that never ends: the driver gives up at timeout + RPC_MARGIN, as
    the peer channel's deadline does for a remote one, and the transition can go on."""
    from types import SimpleNamespace

    from hafailover.agent import transitions

    monkeypatch.setattr(transitions, "RPC_MARGIN", 0.2)
    cancelled = []

    async def never_ends(request: peer_pb2.ActionRequest) -> peer_pb2.ActionResult:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(request.action)
        raise AssertionError("unreachable")

    agent = SimpleNamespace(node="n1", resources=SimpleNamespace(run_action=never_ends))
    driver = transitions.TransitionDriver.__new__(transitions.TransitionDriver)
    driver.agent = agent  # type: ignore[assignment]

    async def main() -> float:
        started = asyncio.get_running_loop().time()
        with pytest.raises(transitions.PeerError,
                           match=r"RunAction to n1 failed: no result within 0\.3s; abandoned"):
            await driver._run_on("n1", peer_pb2.ActionRequest(action="promote"), 0.1)
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(main()) >= 0.3
    assert cancelled == ["promote"]  # the executor's work is cancelled, not left running
