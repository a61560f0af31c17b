"""How fast a 3-node cluster drops a killed node, and whether a busy CPU fakes a failure.

    python3 bench/detection.py [--trials 20] [--hog-seconds 300] [--loss 30]
                               [--loss-seconds 300] [--json FILE]

Runs a 3-node lab (``hafailover.lab``) at the default timing (heartbeat interval 100 ms,
dead time 500 ms) and:

1. Detection: SIGKILLs one agent per trial, the coordinator and a member in turn, and
   measures from the kill (wall clock) to the moment the last survivor holds the new
   view, read from the ``view`` events in the survivors' logs. The kill-to-suspicion
   time (first ``suspected`` event) is shown alongside. The agent is then restarted and
   the cluster re-forms before the next trial. p50, p95 and max, for all trials and split
   by the role of the killed node.
2. CPU saturation: runs ``--hog-procs`` busy loops for ``--hog-seconds`` and counts what
   the agents logged meanwhile: suspicions, losses and new views (all false: no node
   failed), and each node's worst heartbeat send lateness (``max_lateness_ms``).
3. Packet loss: drops ``--loss`` % of one node's packets each way (nftables, as
   ``hafailover lab loss``) for ``--loss-seconds`` and counts the same, plus the probe
   heartbeats sent to late peers and answered (``heartbeat.probes_sent``,
   ``probes_answered``) over the window.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hafailover.lab.cluster import Lab, LabSpec, Statuses
from hafailover.stats import figures, saturate_cpus

FORM_TIMEOUT = 30.0  # seconds for the cluster to form or drop a node
LOG_TIMEOUT = 5.0  # seconds to wait for a view event to reach the log


@dataclass(frozen=True)
class Trial:
    victim: str
    role: str  # "coordinator" or "member"
    view: int  # the survivors' new view number
    detection_ms: float  # kill -> the last survivor holds the new view
    suspected_ms: float | None  # kill -> the first survivor suspects the victim
    per_survivor_ms: dict[str, float]




def when(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(record["timestamp"])).timestamp()


def records_between(lab: Lab, node: str, start: float, end: float = math.inf,
                    kind: str | None = None) -> list[dict[str, Any]]:
    found = []
    for record in lab.log_records(node):
        if "timestamp" not in record or (kind is not None and record.get("kind") != kind):
            continue
        if start <= when(record) <= end:
            found.append(record)
    return found


def one_view(statuses: Statuses, members: list[str]) -> bool:
    """Every node asked holds the same view, whose members are exactly ``members``."""
    views = [s["view"] if s else None for s in statuses.values()]
    return (all(v is not None and v["members"] == members for v in views)
            and len({v["number"] for v in views if v}) == 1)


def wait_formed(lab: Lab, nodes: list[str], what: str) -> Statuses:
    return lab.wait_until(lambda s: one_view(s, nodes), nodes=nodes, timeout=FORM_TIMEOUT,
                          what=what)


def view_time(lab: Lab, node: str, number: int, since: float) -> float:
    """When ``node`` logged that it holds view ``number`` (after ``since``)."""
    deadline = time.monotonic() + LOG_TIMEOUT
    while True:
        for record in records_between(lab, node, since, kind="view"):
            if record.get("view") == number:
                return when(record)
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{node} holds view {number} but did not log it within "
                               f"{LOG_TIMEOUT}s")
        time.sleep(0.05)


def kill_trial(lab: Lab, victim: str, role: str) -> Trial:
    survivors = [n for n in lab.node_names if n != victim]
    killed_at = time.time()
    lab.kill(victim)
    statuses = wait_formed(lab, survivors, f"the survivors drop {victim}")
    first = statuses[survivors[0]]
    assert first is not None
    number = int(first["view"]["number"])
    per_survivor = {n: (view_time(lab, n, number, killed_at) - killed_at) * 1000
                    for n in survivors}
    suspicions = [when(r) for n in survivors
                  for r in records_between(lab, n, killed_at, kind="membership")
                  if r.get("node") == victim and "suspected" in str(r.get("event", ""))]
    suspected = (min(suspicions) - killed_at) * 1000 if suspicions else None
    lab.start(victim)
    wait_formed(lab, list(lab.node_names), f"{victim} rejoins")
    return Trial(victim, role, number, max(per_survivor.values()), suspected, per_survivor)


def detection(lab: Lab, trials: int) -> list[Trial]:
    results: list[Trial] = []
    members = [n for n in lab.node_names if n != lab.node_names[0]]
    print(f"detection: {trials} trials, SIGKILL of the coordinator and of a member in turn")
    for index in range(trials):
        statuses = lab.statuses()
        coordinator = next(s["view"]["coordinator"] for s in statuses.values() if s)
        if index % 2 == 0:
            victim, role = coordinator, "coordinator"
        else:
            candidates = [n for n in members if n != coordinator]
            victim, role = candidates[(index // 2) % len(candidates)], "member"
        trial = kill_trial(lab, victim, role)
        results.append(trial)
        suspected = ("-" if trial.suspected_ms is None else f"{trial.suspected_ms:6.0f}")
        print(f"  trial {index + 1:3d}: killed {victim} ({role:11s}) suspected after "
              f"{suspected} ms, new view {trial.view} on every survivor after "
              f"{trial.detection_ms:6.0f} ms", flush=True)
        time.sleep(0.5)  # let the rejoined node's first views go by
    return results


def print_detection(results: list[Trial]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    print("\nkill -> every survivor holds the new view (ms)")
    for label, chosen in (("all", results),
                          ("coordinator", [t for t in results if t.role == "coordinator"]),
                          ("member", [t for t in results if t.role == "member"])):
        f = figures([t.detection_ms for t in chosen])
        summary[label] = f
        if f:
            print(f"  {label:12s} n={f['count']:3d}  p50 {f['p50']:7.0f}  p95 {f['p95']:7.0f}  "
                  f"max {f['max']:7.0f}  mean {f['mean']:7.0f}")
    suspected = [t.suspected_ms for t in results if t.suspected_ms is not None]
    f = figures(suspected)
    summary["suspected"] = f
    if f:
        print(f"  {'(suspected)':12s} n={f['count']:3d}  p50 {f['p50']:7.0f}  "
              f"p95 {f['p95']:7.0f}  max {f['max']:7.0f}  mean {f['mean']:7.0f}")
    return summary


def window_report(lab: Lab, before: Statuses, started: float, ended: float) -> dict[str, Any]:
    """What each agent logged between ``started`` and ``ended`` (wall clock), and how its
    heartbeat figures moved; every suspicion, loss and view change counted is false,
    since no node failed."""
    time.sleep(1.0)  # let the last events reach the logs
    after = lab.statuses()
    per_node: dict[str, Any] = {}
    for node in lab.node_names:
        membership = records_between(lab, node, started, ended + 1.0, kind="membership")
        views = records_between(lab, node, started, ended + 1.0, kind="view")
        b, a = before.get(node), after.get(node)
        per_node[node] = {
            "suspected": sum("suspected" in str(r.get("event", "")) for r in membership),
            "lost": sum(" lost" in str(r.get("event", "")) for r in membership),
            "view_changes": len(views),
            "view_before": b["view"]["number"] if b else None,
            "view_after": a["view"]["number"] if a else None,
            "max_lateness_ms_before": b["heartbeat"]["max_lateness_ms"] if b else None,
            "max_lateness_ms_after": a["heartbeat"]["max_lateness_ms"] if a else None,
            "probes_sent": (a["heartbeat"]["probes_sent"] - b["heartbeat"]["probes_sent"]
                            if a and b else None),
            "probes_answered": (a["heartbeat"]["probes_answered"]
                                - b["heartbeat"]["probes_answered"] if a and b else None),
            "dropped_after": a["heartbeat"]["dropped"] if a else None,
        }
    for node, f in per_node.items():
        print(f"  {node}: {f['suspected']} suspicions, {f['lost']} losses, "
              f"{f['view_changes']} view changes (view {f['view_before']} -> "
              f"{f['view_after']}); probes sent {f['probes_sent']}, answered "
              f"{f['probes_answered']}; max heartbeat lateness "
              f"{f['max_lateness_ms_before']} ms before, {f['max_lateness_ms_after']} ms after")
    total = {key: sum(f[key] for f in per_node.values())
             for key in ("suspected", "lost", "view_changes")}
    print(f"  false suspicions: {total['suspected']}, false losses: {total['lost']}, "
          f"view changes: {total['view_changes']}")
    return {"nodes": per_node, "total": total}


def hog(lab: Lab, seconds: float, processes: int) -> dict[str, Any]:
    before = lab.statuses()
    priorities = ", ".join(f"{n} {s['heartbeat']['priority']}"
                           for n, s in before.items() if s)
    print(f"\nCPU saturation: {processes} busy loops for {seconds:g}s on "
          f"{os.cpu_count()} CPUs (heartbeat threads: {priorities})", flush=True)
    started, ended = saturate_cpus(seconds, processes)
    return {"seconds": seconds, "processes": processes,
            **window_report(lab, before, started, ended)}


def packet_loss(lab: Lab, node: str, percent: int, seconds: float) -> dict[str, Any]:
    before = lab.statuses()
    print(f"\npacket loss: {percent} % of {node}'s packets dropped each way for "
          f"{seconds:g}s", flush=True)
    started = time.time()
    lab.loss(node, percent)
    try:
        time.sleep(seconds)
    finally:
        lab.loss(node, 0)
    ended = time.time()
    return {"node": node, "percent": percent, "seconds": seconds,
            **window_report(lab, before, started, ended)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--hog-seconds", type=float, default=300.0)
    parser.add_argument("--hog-procs", type=int, default=4)
    parser.add_argument("--loss", type=int, default=30, help="% of one node's packets lost")
    parser.add_argument("--loss-seconds", type=float, default=300.0,
                        help="how long the loss lasts (0: no loss phase)")
    parser.add_argument("--loss-node", default="n2")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--prefix", default="bdet", help="the lab's namespace prefix")
    parser.add_argument("--subnet", type=int, default=120, help="the lab's first subnet")
    args = parser.parse_args()

    spec = LabSpec(prefix=args.prefix, nodes=3, subnet=args.subnet,
                   extra_yaml="properties: {stonith-enabled: false}\n")
    with tempfile.TemporaryDirectory(prefix="hafailover-detection-") as tmp, \
            Lab(spec, Path(tmp)) as lab:
        for node in lab.node_names:
            lab.start(node)
        wait_formed(lab, list(lab.node_names), "the cluster forms")
        print(f"3-node lab, interval {spec.interval}, dead time {spec.dead_time}, "
              f"{spec.transport}")
        results = detection(lab, args.trials)
        summary = print_detection(results)
        saturation = hog(lab, args.hog_seconds, args.hog_procs) if args.hog_seconds else None
        loss = (packet_loss(lab, args.loss_node, args.loss, args.loss_seconds)
                if args.loss_seconds else None)
        for node in lab.node_names:
            lab.stop(node)
    if args.json:
        args.json.write_text(json.dumps(
            {"settings": {"interval": spec.interval, "dead_time": spec.dead_time,
                          "transport": spec.transport, "cpus": os.cpu_count()},
             "trials": [asdict(t) for t in results], "detection_ms": summary,
             "cpu_saturation": saturation, "packet_loss": loss}, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
