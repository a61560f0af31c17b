"""Run Pacemaker's ``crm_simulate`` on a CIB and read what it decides.

``crm_simulate -x CIB -S --output-as=xml`` (Pacemaker 2.1) computes one transition,
pretends every action succeeds and prints the cluster status afterwards as XML
(``<revised_cluster_status>``, schema ``crm_mon.rng``) with the fencing it did in
``<actions>``. The placement read from it has the same shape as ``hactl simulate
--format json``: a primitive id maps to its node or None, a clone id to its active
instances as ``{"node": ..., "role": ...}`` sorted by node. Stonith-class resources are
left out: hafailover models them as fence devices, not resources.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CRM_SIMULATE = shutil.which("crm_simulate") or "/usr/sbin/crm_simulate"

Placement = dict[str, Any]  # primitive id -> node | None; clone id -> [{"node", "role"}]


class CrmSimulateError(RuntimeError):
    """crm_simulate failed or printed something this parser does not understand."""


@dataclass(frozen=True)
class Outcome:
    placement: Placement
    fenced: tuple[str, ...]
    xml: str


def available() -> bool:
    return Path(CRM_SIMULATE).exists()


def simulate(cib: Path) -> Outcome:
    """Pacemaker's decision for ``cib`` after one transition."""
    proc = subprocess.run(
        [CRM_SIMULATE, "-x", str(cib), "-S", "--output-as=xml"],
        capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise CrmSimulateError(f"crm_simulate exited {proc.returncode} for {cib}:\n"
                               f"{proc.stderr}{proc.stdout[-2000:]}")
    return parse(proc.stdout)


def parse(text: str) -> Outcome:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CrmSimulateError(f"crm_simulate output is not XML: {exc}") from None
    status = root.find("revised_cluster_status")
    if status is None:
        raise CrmSimulateError("no <revised_cluster_status> in crm_simulate output")
    resources = status.find("resources")
    placement: Placement = {}
    for element in resources if resources is not None else ():
        _collect(element, placement)
    fenced = tuple(sorted(
        action.get("node", "") for action in root.iterfind("actions/node_action")
        if (action.get("task") or "").startswith("Fence")))
    return Outcome(placement=placement, fenced=fenced, xml=text)


def _node_of(resource: ET.Element) -> str | None:
    if resource.get("active") != "true" or resource.get("role") == "Stopped":
        return None
    node = resource.find("node")
    return node.get("name") if node is not None else None


def _is_stonith(resource: ET.Element) -> bool:
    return (resource.get("resource_agent") or "").startswith("stonith:")


def _collect(element: ET.Element, placement: Placement) -> None:
    if element.tag == "resource":
        if not _is_stonith(element):
            placement[element.get("id", "")] = _node_of(element)
    elif element.tag == "group":
        for member in element.findall("resource"):
            placement[member.get("id", "")] = _node_of(member)
    elif element.tag == "clone":
        multi_state = element.get("multi_state") == "true"
        instances: list[dict[str, str]] = []
        for instance in element:
            members = [instance] if instance.tag == "resource" else instance.findall("resource")
            for member in members:
                if _is_stonith(member):
                    continue
                node = _node_of(member)
                if node is None:
                    continue
                role = member.get("role", "Started")
                if multi_state and role == "Started":
                    role = "Unpromoted"
                instances.append({"node": node, "role": role})
        if instances or not all(_is_stonith(r) for r in element.iter("resource")):
            placement[element.get("id", "")] = sorted(
                instances, key=lambda i: (i["node"], i["role"]))
    elif element.tag == "bundle":
        raise CrmSimulateError("bundles are not compared")
