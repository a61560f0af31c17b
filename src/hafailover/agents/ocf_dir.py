"""Where our OCF resource agents come from, and copying them into an OCF root.

The agents are shell scripts kept in ``resource_agents/`` at the top of the repository.
``shipped_agents_dir()`` finds that directory for a checkout (or an editable install);
a wheel can carry the same files as package data in ``hafailover/resource_agents/``,
which is looked at first. ``install_agents()`` copies every executable file to
``$OCF_ROOT/resource.d/hafailover/`` (mode 0755), replacing a file only when its
content or mode differs, and says what it did with each.
"""

from __future__ import annotations

import enum
import filecmp
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hafailover import settings

AGENT_MODE = 0o755


class AgentsNotFoundError(RuntimeError):
    """The directory of shipped agents is in none of the places we look."""


def _candidates() -> list[Path]:
    package_dir = Path(__file__).resolve().parent.parent  # .../hafailover
    return [
        package_dir / "resource_agents",  # package data (wheel)
        package_dir.parent.parent / "resource_agents",  # <repo>/src/hafailover -> <repo>
    ]


def shipped_agents_dir() -> Path:
    """The ``resource_agents`` directory of this installation."""
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c) for c in _candidates())
    raise AgentsNotFoundError(f"no resource_agents directory found (looked in: {looked})")


def shipped_agents(source: Path | None = None) -> list[Path]:
    """Every executable regular file of the agents directory, sorted by name."""
    directory = source if source is not None else shipped_agents_dir()
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and os.access(p, os.X_OK)
    )


def provider_dir(ocf_root: str | Path | None = None) -> Path:
    """``$OCF_ROOT/resource.d/hafailover``."""
    root = Path(ocf_root if ocf_root is not None else settings.OCF_ROOT)
    return root / "resource.d" / settings.OCF_PROVIDER


class AgentState(enum.StrEnum):
    MISSING = "not installed"
    OUTDATED = "outdated"
    CURRENT = "installed"


class InstallAction(enum.StrEnum):
    INSTALLED = "installed"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class AgentStatus:
    name: str
    source: Path
    target: Path
    state: AgentState

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "source": str(self.source), "target": str(self.target),
                "state": self.state.value}


@dataclass(frozen=True)
class InstallResult:
    name: str
    target: Path
    action: InstallAction

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "target": str(self.target), "action": self.action.value}


def agent_state(source: Path, target: Path) -> AgentState:
    if not target.is_file():
        return AgentState.MISSING
    if stat.S_IMODE(target.stat().st_mode) != AGENT_MODE:
        return AgentState.OUTDATED
    if not filecmp.cmp(source, target, shallow=False):
        return AgentState.OUTDATED
    return AgentState.CURRENT


def agent_statuses(ocf_root: str | Path | None = None,
                   source: Path | None = None) -> list[AgentStatus]:
    target_dir = provider_dir(ocf_root)
    return [AgentStatus(a.name, a, target_dir / a.name, agent_state(a, target_dir / a.name))
            for a in shipped_agents(source)]


def _copy_atomically(source: Path, target: Path) -> None:
    """Write next to the target and rename, so a running agent never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        os.chmod(tmp, AGENT_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install_agents(ocf_root: str | Path | None = None,
                   source: Path | None = None) -> list[InstallResult]:
    """Copy the shipped agents into the OCF root; only what differs is rewritten."""
    target_dir = provider_dir(ocf_root)
    target_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(target_dir, AGENT_MODE)
    results: list[InstallResult] = []
    for status in agent_statuses(ocf_root, source):
        if status.state is AgentState.CURRENT:
            action = InstallAction.UNCHANGED
        else:
            _copy_atomically(status.source, status.target)
            action = (InstallAction.INSTALLED if status.state is AgentState.MISSING
                      else InstallAction.UPDATED)
        results.append(InstallResult(status.name, status.target, action))
    return results


def summarize(results: Sequence[InstallResult]) -> dict[str, int]:
    return {action.value: sum(r.action is action for r in results) for action in InstallAction}
