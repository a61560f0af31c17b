"""Running fence agents: finding them, one action at a time, their metadata.

Any fence-agents binary (Debian's ``/usr/sbin/fence_*``) works unmodified: it gets
``key=value`` lines on its standard input and answers with its exit code. The agent
runs in a session (process group) of its own; at the timeout the whole group is killed,
so a hung agent and whatever it started cannot outlive the attempt. Its output (standard
output and error together) is kept up to a cap, last bytes first.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

from hafailover import settings
from hafailover.config.model import FenceDevice
from hafailover.executor.runner import SubprocessRunner
from hafailover.fencing.protocol import (
    EXIT_OFF,
    EXIT_OK,
    RESERVED,
    AgentMetadata,
    MetadataError,
    parse_metadata,
)
from hafailover.fencing.topology import HOST_MAP, agent_params
from hafailover.reports import did_you_mean

__all__ = ["BUILTIN_AGENTS", "AgentMetadata", "FenceAgentError", "FenceAgentResult",
           "check_device", "read_metadata", "resolve_fence_agent", "run_fence_agent"]

BUILTIN_AGENTS = {
    "fence_lab": "hafailover.fencing.fence_lab",
    "fence_container": "hafailover.fencing.fence_container",
}
OUTPUT_CAP = 16 * 1024
METADATA_TIMEOUT = 10.0
DRAIN_TIME = 0.5  # after the agent exits, how long its children may hold the pipes open


class FenceAgentError(RuntimeError):
    """An agent cannot be found or run, or its metadata cannot be read."""


def resolve_fence_agent(name: str) -> list[str] | None:
    """The command that runs the agent: a built-in one as a Python module, an absolute
    path as it is, otherwise the first executable of that name on ``PATH`` and then in
    the directories of ``settings.AGENT_PATH`` (``/usr/sbin``, ``/sbin``...)."""
    if name in BUILTIN_AGENTS:
        return [sys.executable, "-m", BUILTIN_AGENTS[name]]
    if "/" in name:
        if os.path.isabs(name) and os.path.isfile(name) and os.access(name, os.X_OK):
            return [name]
        return None
    if not name:
        return None
    search = os.pathsep.join(p for p in (os.environ.get("PATH", ""), settings.AGENT_PATH) if p)
    found = shutil.which(name, path=search)
    return [found] if found else None


def agent_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What an agent's environment holds: ``PATH`` from settings, hafailover's own
    overrides (``HAFAILOVER_*``) for the built-in agents, and ``extra``; nothing else
    of the daemon's environment is passed on."""
    env = {"PATH": settings.AGENT_PATH, "LC_ALL": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("HAFAILOVER_")})
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class FenceAgentResult:
    """One run of a fence agent.

    ``ok`` is whether the action succeeded; for ``status`` it is whether the agent
    answered (exit 0: on, 2: off; see ``power``). ``rc`` is None when the agent did not
    exit by itself (timed out, killed by a signal, could not be started).
    """

    ok: bool
    rc: int | None
    output: str
    duration: float
    timed_out: bool
    argv: tuple[str, ...]
    action: str = ""
    error: str | None = None  # why the agent could not be run at all

    @property
    def power(self) -> str | None:
        """For ``status``: "on", "off", or None when unknown."""
        if self.action != "status":
            return None
        return {EXIT_OK: "on", EXIT_OFF: "off"}.get(self.rc) if self.rc is not None else None

    def describe(self) -> str:
        """Why it went the way it did, in a few words: "exited 1 (Failed: ...)"."""
        if self.error:
            return self.error
        if self.timed_out:
            return f"timed out after {self.duration:.1f}s"
        last = reason_line(self.output)
        if self.rc is None:
            what = "was killed by a signal"
        elif self.ok:
            what = f"succeeded in {self.duration:.1f}s"
        else:
            what = f"exited {self.rc}"
        return f"{what} ({last})" if last and not self.ok else what


_USAGE_HINT = "Please use '-h' for usage"
_REASON_RE = re.compile(r"(Failed:|ERROR:|Error:).*")


def reason_line(output: str, limit: int = 200) -> str:
    """The line of an agent's output that best says why: the last ``Failed:`` or
    ``ERROR:`` line (fence-agents add a timestamp before it and a usage hint after it),
    otherwise the last line."""
    lines = [ln.strip() for ln in output.splitlines()
             if ln.strip() and _USAGE_HINT not in ln]
    line = next((m.group(0) for ln in reversed(lines) if (m := _REASON_RE.search(ln))),
                lines[-1] if lines else "")
    return line if len(line) <= limit else line[:limit - 3] + "..."


def stdin_lines(device: FenceDevice, action: str, plug: str) -> str:
    """The agent's standard input: the device's parameters, then the action and plug.

    Raises ValueError for a value with a line break, which would smuggle in a line.
    """
    params = {k: v for k, v in agent_params(device).items() if k not in RESERVED}
    params["action"] = action
    params["plug"] = plug
    lines = []
    for key, value in params.items():
        if "\n" in key or "\r" in key or "=" in key or "\n" in value or "\r" in value:
            raise ValueError(f"fencing device '{device.id}': parameter {key!r} "
                             "contains a line break or its name an '='")
        lines.append(f"{key}={value}\n")
    return "".join(lines)


@dataclass(frozen=True)
class _Run:
    rc: int | None
    output: str
    truncated: bool
    duration: float
    timed_out: bool
    error: str | None = None


# built-in agents the fencer calls in a worker thread rather than as a new interpreter:
# a fence is on the path of every takeover, and an interpreter's start is 0.1 s of it
IN_PROCESS = {"fence_lab": "hafailover.fencing.fence_lab"}


async def _run_in_process(module: str, stdin: str, timeout: float) -> _Run:
    invoke = importlib.import_module(module).invoke
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            rc, output = await asyncio.to_thread(invoke, stdin)
    except TimeoutError:
        return _Run(None, "", False, time.monotonic() - started, True)
    return _Run(rc, output, False, time.monotonic() - started, False)


async def _run(argv: list[str], stdin: str, timeout: float, env: Mapping[str, str],
               cap: int) -> _Run:
    """The agent as a process: ``stdin`` on its standard input, stdout and stderr read
    as one stream; at the timeout its whole group is killed at once (SIGKILL), and the
    result waits until nothing of it runs, since a part of it could still act on the
    device."""
    runner = SubprocessRunner(kill_grace=0.0, output_cap=cap, drain_time=DRAIN_TIME)
    outcome = await runner.run(argv, env, timeout, stdin=stdin, merge_output=True)
    return _Run(outcome.rc, outcome.stdout.text, outcome.stdout.truncated,
                outcome.duration, outcome.timed_out, outcome.spawn_error)


async def run_fence_agent(device: FenceDevice, action: str, plug: str,
                          timeout: float | None = None, *,
                          env: Mapping[str, str] | None = None,
                          output_cap: int = OUTPUT_CAP) -> FenceAgentResult:
    """Run ``action`` on ``plug`` through the device's agent (timeout: the device's).

    Never raises for the agent's sake: a missing agent, a bad parameter, a timeout or
    a crash is a result that is not ok, with the reason in ``error`` or ``output``.
    """
    timeout = device.timeout if timeout is None else timeout
    argv = resolve_fence_agent(device.agent)
    if argv is None:
        return FenceAgentResult(False, None, "", 0.0, False, (device.agent,), action,
                                error=f"fence agent '{device.agent}' not found")
    try:
        stdin = stdin_lines(device, action, plug)
    except ValueError as exc:
        return FenceAgentResult(False, None, "", 0.0, False, tuple(argv), action,
                                error=str(exc))
    if device.agent in IN_PROCESS and env is None:
        run = await _run_in_process(IN_PROCESS[device.agent], stdin, timeout)
    else:
        run = await _run(argv, stdin, timeout, agent_environment(env), output_cap)
    ok = run.rc in ((EXIT_OK, EXIT_OFF) if action == "status" else (EXIT_OK,))
    output = ("[output truncated]\n" + run.output) if run.truncated else run.output
    return FenceAgentResult(ok=ok, rc=run.rc, output=output, duration=run.duration,
                            timed_out=run.timed_out, argv=tuple(argv), action=action,
                            error=run.error)


async def read_metadata(agent: str, *, timeout: float = METADATA_TIMEOUT,
                        env: Mapping[str, str] | None = None) -> AgentMetadata:
    """The parameters the agent declares (``action=metadata``).

    Raises FenceAgentError when the agent is missing, fails, or prints no usable XML.
    """
    argv = resolve_fence_agent(agent)
    if argv is None:
        raise FenceAgentError(f"fence agent '{agent}' not found")
    cap = 1024 * 1024
    run = await _run(argv, "action=metadata\n", timeout, agent_environment(env), cap)
    if run.error:
        raise FenceAgentError(run.error)
    if run.timed_out:
        raise FenceAgentError(f"{agent} metadata timed out after {timeout:g}s")
    if run.rc != EXIT_OK:
        raise FenceAgentError(f"{agent} metadata exited {run.rc}: {run.output.strip()[-200:]}")
    if run.truncated:
        raise FenceAgentError(f"{agent} metadata is larger than {cap} bytes")
    try:
        return parse_metadata(run.output)
    except MetadataError as exc:
        raise FenceAgentError(f"{agent}: {exc}") from None


def check_device(device: FenceDevice, metadata: AgentMetadata) -> list[str]:
    """Problems with a device's parameters for its agent, one sentence each: unknown
    parameters (with a "did you mean"), parameters the fencer sets itself, and missing
    required ones."""
    problems = []
    given = agent_params(device)
    known = metadata.parameters
    for key in given:
        if key in RESERVED:
            problems.append(f"fencing device '{device.id}': parameter '{key}' is set for "
                            f"each node by the fencer; name the plugs with {HOST_MAP}")
        elif key not in known:
            hint = did_you_mean(key, known - RESERVED)
            problems.append(f"fencing device '{device.id}': {device.agent} has no parameter "
                            f"'{key}'" + (f"; {hint}" if hint else ""))
    replaced_by = dict(metadata.replaced_by)
    present = set(given) | {replaced_by[k] for k in given if k in replaced_by}
    present |= {old for old, new in metadata.replaced_by if new in given}
    for key in sorted(metadata.required - RESERVED - present):
        problems.append(f"fencing device '{device.id}': {device.agent} requires "
                        f"parameter '{key}'")
    return problems
