"""What ``hafailover lab status`` shows: each member's agent, links and faults, the
cluster as an agent sees it, and whether the demo answers through the VIP.

``lab_report`` gathers a JSON-ready document; ``report_lines`` renders it for people.
"""

from __future__ import annotations

import sys
from typing import Any

from hafailover.lab import faults
from hafailover.lab.cluster import CLIENT, Lab, Statuses
from hafailover.lab.netns import namespace_exists
from hafailover.lab.session import Session

# Fetches a URL from inside a namespace, without any proxy of the environment; prints the
# body (stripped), exits 1 when nothing answered within the timeout.
HTTP_GET = """
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    print(opener.open(sys.argv[1], timeout=float(sys.argv[2])).read().decode().strip())
except Exception as error:
    print(error, file=sys.stderr)
    sys.exit(1)
"""


def http_get(lab: Lab, member: str, url: str, timeout: float = 1.0) -> str | None:
    """The body ``url`` answers from ``member``'s namespace, or None."""
    result = lab.netns(member).run([sys.executable, "-c", HTTP_GET, url, str(timeout)],
                                   check=False, timeout=timeout + 10)
    return result.stdout.strip() if result.returncode == 0 else None


def agent_state(lab: Lab, node: str, links_up: bool) -> str:
    if lab.running(node):
        return "frozen" if lab.frozen(node) else "running"
    return "stopped" if links_up else "powered-off"


def member_report(lab: Lab, member: str) -> dict[str, Any]:
    names = {address: other for other in lab.members for address in lab.addresses(other)}
    ns_name = f"{lab.spec.prefix}-{member}"
    entry: dict[str, Any] = {"name": member, "namespace": ns_name,
                             "addresses": lab.addresses(member)}
    if not namespace_exists(ns_name):
        return entry | {"exists": False, "agent": None, "pid": None, "links": {},
                        "cut_off_from": [], "loss_percent": 0}
    ns = lab.netns(member)
    links = 1 if member == CLIENT else lab.spec.links
    link_states = {f"eth{k}": "up" if faults.link_is_up(ns, f"eth{k}") else "down"
                   for k in range(links)}
    blocked = sorted({names.get(address, address) for address in faults.blocked_peers(ns)})
    entry |= {"exists": True, "agent": None, "pid": None, "links": link_states,
              "cut_off_from": blocked, "loss_percent": faults.loss_percent(ns)}
    if member != CLIENT:
        entry["agent"] = agent_state(lab, member, "up" in link_states.values())
        entry["pid"] = lab.pid(member)
    return entry


def cluster_report(statuses: Statuses, preferred: list[str]) -> dict[str, Any] | None:
    """The cluster as the first answering agent (in ``preferred`` order) that knows the
    coordinator's view tells it; None when no agent answers."""
    answering = [node for node in preferred if statuses.get(node)]
    if not answering:
        return None
    asked = next((n for n in answering if (statuses[n] or {}).get("cluster_status")),
                 answering[0])
    status = statuses[asked] or {}
    view = status.get("view") or {}
    cluster = status.get("cluster_status") or {}
    placed: dict[str, list[str]] = {}
    failed: list[str] = []
    for item in cluster.get("resources") or []:
        placed.setdefault(item["resource"], []).append(item["node"])
        if item.get("failed"):
            failed.append(f"{item['resource']} on {item['node']}")
    return {"asked": asked, "view": view.get("number"), "members": view.get("members", []),
            "quorate": view.get("quorate"), "coordinator": view.get("coordinator"),
            "resources": {name: sorted(nodes) for name, nodes in sorted(placed.items())},
            "failed": failed, "answering": answering,
            "cluster_status_error": status.get("cluster_status_error")}


def lab_report(session: Session) -> dict[str, Any]:
    lab = session.lab
    members = [member_report(lab, member) for member in lab.members]
    up = [m["name"] for m in members if m["agent"] in ("running",)]
    statuses = lab.statuses(up) if up else {}
    report: dict[str, Any] = {
        "prefix": lab.spec.prefix, "directory": str(lab.workdir),
        "subnet": f"10.{lab.spec.subnet}.0.0/24", "members": members,
        "cluster": cluster_report(statuses, up), "vip": session.vip, "demo": None}
    if session.vip and any(m["name"] == CLIENT and m["exists"] for m in members):
        url = f"http://{session.vip}/"
        report["demo"] = {"url": url, "answer": http_get(lab, CLIENT, url)}
    return report


def _faults(member: dict[str, Any]) -> str:
    parts = []
    if member["cut_off_from"]:
        parts.append("cut off from " + ", ".join(member["cut_off_from"]))
    if member["loss_percent"]:
        parts.append(f"loss {member['loss_percent']}%")
    return "; ".join(parts) or "-"


def report_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"lab {report['prefix']}: {report['subnet']}, files in {report['directory']}",
             "", f"{'member':<8} {'agent':<12} {'pid':<8} {'links':<16} faults"]
    for member in report["members"]:
        if not member["exists"]:
            lines.append(f"{member['name']:<8} (no namespace {member['namespace']})")
            continue
        links = " ".join(f"{name} {state}" for name, state in member["links"].items())
        lines.append(f"{member['name']:<8} {member['agent'] or '-':<12} "
                     f"{member['pid'] or '-'!s:<8} {links:<16} {_faults(member)}")
    lines.append("")
    cluster = report["cluster"]
    if cluster is None:
        lines.append("cluster: no agent answers")
    else:
        quorum = "quorate" if cluster["quorate"] else "NOT quorate"
        lines.append(f"cluster (as {cluster['asked']} sees it): view {cluster['view']} "
                     f"[{' '.join(cluster['members'])}], {quorum}, coordinator "
                     f"{cluster['coordinator'] or '-'}")
        if cluster["resources"]:
            width = max(len(name) for name in cluster["resources"])
            for name, nodes in cluster["resources"].items():
                lines.append(f"  {name:<{width}}  {' '.join(nodes)}")
        elif cluster["cluster_status_error"]:
            lines.append(f"  resources unknown: {cluster['cluster_status_error']}")
        else:
            lines.append("  no resource runs")
        for failure in cluster["failed"]:
            lines.append(f"  failed: {failure}")
    demo = report["demo"]
    if demo is not None:
        resources = (cluster or {}).get("resources") or {}
        holders = resources.get("vip", [])
        answer = demo["answer"]
        lines.append(f"web: {' '.join(holders) or 'not running'}; {demo['url']} from the "
                     "client: " + (f"answered by {answer}" if answer else "no answer"))
    return lines
