"""Which program runs an agent: ``AgentRef`` -> argv, or the reason it cannot run.

``ocf:PROVIDER:TYPE`` is ``$OCF_ROOT/resource.d/PROVIDER/TYPE``; ``builtin:NAME`` is the
Python module ``hafailover.agents.NAME`` run with this interpreter. Other standards
(lsb, systemd, service, stonith) are not supported yet. The action is appended by the
runner: it is an agent's only argument.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass

from hafailover import settings
from hafailover.config.model import AgentRef
from hafailover.executor.ocf import ExecStatus, OcfExit

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LATER = ("lsb", "systemd", "service", "upstart", "nagios", "stonith")


@dataclass(frozen=True)
class Resolved:
    argv: tuple[str, ...]  # without the action


@dataclass(frozen=True)
class Unresolved:
    """The agent cannot be run; the executor reports this without running anything."""

    status: ExecStatus
    rc: int
    reason: str


def resolve(agent: AgentRef, *, ocf_root: str = settings.OCF_ROOT,
            python: str = sys.executable) -> Resolved | Unresolved:
    standard = agent.standard.lower()
    if standard == "ocf":
        return _resolve_ocf(agent, ocf_root)
    if standard == "builtin":
        return _resolve_builtin(agent, python)
    if standard in _LATER:
        return Unresolved(ExecStatus.NOT_SUPPORTED, int(OcfExit.ERR_UNIMPLEMENTED),
                          f"{standard} agents are not supported yet ({agent}); "
                          f"use an ocf: or builtin: agent")
    return Unresolved(ExecStatus.NOT_SUPPORTED, int(OcfExit.ERR_UNIMPLEMENTED),
                      f"unknown agent standard '{agent.standard}' in {agent}; "
                      f"allowed: ocf, builtin")


def _resolve_ocf(agent: AgentRef, ocf_root: str) -> Resolved | Unresolved:
    if not agent.provider:
        return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                          f"{agent} names no provider (expected ocf:PROVIDER:TYPE)")
    for part in (agent.provider, agent.type):
        if not _NAME.match(part):
            return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                              f"{agent}: '{part}' is not a valid provider or agent name")
    path = os.path.join(ocf_root, "resource.d", agent.provider, agent.type)
    if not os.path.isfile(path):
        return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                          f"agent {agent} is not installed: {path} does not exist")
    if not os.access(path, os.X_OK):
        return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                          f"agent {agent} is not executable: {path}")
    return Resolved((path,))


def _resolve_builtin(agent: AgentRef, python: str) -> Resolved | Unresolved:
    if agent.provider or not _MODULE.match(agent.type):
        return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                          f"{agent}: builtin agents are named builtin:NAME with NAME a "
                          f"Python identifier")
    module = f"{settings.BUILTIN_AGENT_PACKAGE}.{agent.type}"
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return Unresolved(ExecStatus.NOT_INSTALLED, int(OcfExit.ERR_INSTALLED),
                          f"builtin agent {agent} is not installed: no module {module}")
    return Resolved((python, "-m", module))
