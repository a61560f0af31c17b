"""A lab that outlives the process that built it: ``lab.json`` in the lab's directory.

Each ``hafailover lab`` command is a process of its own. ``up`` saves the lab's shape
(its ``LabSpec``) and what the demo service listens on in ``lab.json``; the agents' pids
are in each node's ``agent.pid`` (written by ``Lab.start``). ``attach`` rebuilds the
``Lab`` from them, so the next command can signal, stop or restart the same agents.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hafailover import settings
from hafailover.lab.cluster import CLIENT, OCF_DIR, Lab, LabError, LabSpec

LAB_FILE = "lab.json"
FORMAT = 1
# what a lab writes in its directory, removed by ``forget``; nothing else is touched
GENERATED = (LAB_FILE, "cluster.yaml", "haproxy.cfg", "keys", OCF_DIR, CLIENT)


def default_dir() -> Path:
    return Path(settings.LAB_DIR)


@dataclass(frozen=True)
class Session:
    """A saved lab: the ``Lab`` and what ``up`` recorded besides its spec."""

    lab: Lab
    demo: bool
    vip: str | None
    created: float

    @property
    def workdir(self) -> Path:
        return self.lab.workdir


def save(lab: Lab, *, demo: bool, vip: str | None) -> Path:
    document = {"format": FORMAT, "spec": dataclasses.asdict(lab.spec), "demo": demo,
                "vip": vip, "created": time.time()}
    path = lab.workdir / LAB_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(temporary, path)
    return path


def saved_prefix(workdir: Path) -> str | None:
    """The prefix recorded in ``workdir``, or None when there is no readable lab.json."""
    try:
        return str(_read(workdir)["spec"]["prefix"])
    except (LabError, KeyError, TypeError):
        return None


def _read(workdir: Path) -> dict[str, Any]:
    path = workdir / LAB_FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise LabError(f"no lab in {workdir} (no {LAB_FILE}): start one with "
                       "hafailover lab up") from None
    except (OSError, ValueError) as error:
        raise LabError(f"{path} cannot be read ({error}): remove the lab with "
                       "hafailover lab down --prefix PREFIX") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LabError(f"{path} is not a lab description of format {FORMAT}: remove the "
                       "lab with hafailover lab down --prefix PREFIX")
    return document


def attach(workdir: Path) -> Session:
    """The lab saved in ``workdir``, with its running agents found from their pid
    files."""
    document = _read(workdir)
    try:
        spec = LabSpec(**document["spec"])
    except (TypeError, ValueError) as error:
        raise LabError(f"{workdir / LAB_FILE}: the lab's description is not valid "
                       f"({error})") from None
    return Session(Lab(spec, workdir), demo=bool(document.get("demo")),
                   vip=document.get("vip"), created=float(document.get("created", 0)))


def forget(workdir: Path) -> None:
    """Remove what a lab wrote in ``workdir`` (and the directory once empty); files the
    lab did not write stay."""
    names = [*GENERATED, *(p.name for p in workdir.glob("n*") if p.name[1:].isdigit())]
    for name in names:
        path = workdir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    (workdir / LAB_FILE).with_suffix(".tmp").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        workdir.rmdir()
