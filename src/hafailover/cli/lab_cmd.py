"""``hafailover lab``: a whole cluster on one machine, in network namespaces.

Each command is a process of its own; the lab they act on is the one described in
``lab.json`` of the lab's directory (``hafailover.lab.session``). Exit codes: 0 done,
1 failed (one line says why), 2 usage error.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hafailover import settings
from hafailover.cli.options import CliError, format_option
from hafailover.config.loader import load_config_text
from hafailover.lab import demo, session
from hafailover.lab.cluster import (
    CLIENT,
    Lab,
    LabError,
    LabSpec,
    Statuses,
    cleanup,
    namespace_pattern,
    require_root_and_tools,
)
from hafailover.lab.netns import NetnsError, namespace_names
from hafailover.lab.report import http_get, lab_report, report_lines
from hafailover.reports import Severity

F = TypeVar("F", bound=Callable[..., Any])

NEEDS_ROOT = "hafailover lab needs root: run it with sudo"
DEFAULT_PREFIX = "hfl"
STOP_TIMEOUT = 20.0  # seconds `lab restart` waits for an agent to leave before SIGKILL


def _lab_errors(func: F) -> F:
    """Root first; then every lab error becomes one line and exit code 1."""
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        if os.geteuid() != 0:
            raise CliError(NEEDS_ROOT)
        try:
            return func(*args, **kwargs)
        except (LabError, NetnsError, OSError, subprocess.SubprocessError) as error:
            raise CliError(str(error)) from None
    return run  # type: ignore[return-value]


def _workdir() -> Path:
    return Path(click.get_current_context().obj or settings.LAB_DIR)


def _attach() -> session.Session:
    return session.attach(_workdir())


def _node(current: session.Session, name: str) -> str:
    if name not in current.lab.node_names:
        raise click.BadParameter(f"no node {name!r} in the lab (nodes: "
                                 f"{', '.join(current.lab.node_names)})", param_hint="NODE")
    return name


@click.group("lab", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dir", "lab_dir", type=click.Path(file_okay=False, path_type=Path),
              default=settings.LAB_DIR, envvar="HAFAILOVER_LAB_DIR", show_default=True,
              help="The lab's directory: lab.json, configuration, keys, one directory "
                   "per node (env HAFAILOVER_LAB_DIR).")
@click.pass_context
def lab_group(ctx: click.Context, lab_dir: Path) -> None:
    """A whole cluster on one machine: a switch, one network namespace per node and a
    client, an agent in each node, and a demo service (a VIP and haproxy in front of
    two HTTP backends). Needs root.

    \b
    Examples:
      sudo hafailover lab up                 # 3 nodes and the demo
      sudo hafailover lab exec client -- curl -s http://10.60.0.100/
      sudo hafailover lab kill n1            # power loss of n1
      sudo hafailover lab status
      sudo hafailover lab down

    Exit codes: 0 done, 1 failed, 2 usage error.
    """
    ctx.obj = lab_dir


# --- up and down --------------------------------------------------------------------------


def _taken(prefix: str, workdir: Path) -> None:
    """Refuse to build over a lab that is up (ours or another directory's)."""
    existing = namespace_names(namespace_pattern(prefix))
    if existing:
        first = next((n for n in existing if not n.endswith(("-sw", "-client"))),
                     existing[0])
        raise CliError(f"namespace {first} exists: a lab is already up (hafailover lab "
                       f"status), or remove it with hafailover lab down")
    other = session.saved_prefix(workdir)
    if other is not None and other != prefix and namespace_names(namespace_pattern(other)):
        raise CliError(f"the lab {other} is up in {workdir}: remove it with hafailover lab "
                       "down, or give another --dir")


def _formed(statuses: Statuses) -> bool:
    views = {(s["view"]["number"], tuple(s["view"]["members"]))
             for s in statuses.values() if s is not None}
    return (all(s is not None for s in statuses.values()) and len(views) == 1
            and list(next(iter(views))[1]) == list(statuses))


def _wait(lab: Lab, what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise CliError(f"{what} not within {timeout:g}s{_failures(lab)}; the lab stays "
                           "up to be looked at: hafailover lab status, the logs in "
                           "NODE/agent.log of the lab's directory; remove it with "
                           "hafailover lab down")
        time.sleep(0.2)


def _failures(lab: Lab) -> str:
    """The failed actions the coordinator knows of, as a clause of the error line."""
    for status in lab.statuses().values():
        cluster = (status or {}).get("cluster_status") or {}
        failed = [f"{f['action']} of {f['resource']} on {f['node']}: {f['reason']}"
                  for f in cluster.get("failed_actions") or []]
        if failed:
            return " (failed: " + "; ".join(failed) + ")"
    return ""


def _vip_holder(lab: Lab) -> str | None:
    for status in lab.statuses().values():
        cluster = (status or {}).get("cluster_status") or {}
        for item in cluster.get("resources") or []:
            if item["resource"] == "vip":
                return str(item["node"])
    return None


@lab_group.command("up")
@click.option("--nodes", type=click.IntRange(1, 9), default=3, show_default=True)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path),
              help="Resources, properties and fencing of your own instead of the demo's "
                   "(the form of examples/lab/cluster.yaml).")
@click.option("--no-demo", is_flag=True, help="Only the cluster: no resources, no fencing.")
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True,
              help="The namespaces are PREFIX-sw, PREFIX-n1..., PREFIX-client.")
@click.option("--subnet", type=click.IntRange(0, 254), default=60, show_default=True,
              help="The nodes are 10.SUBNET.0.11, .12...; the VIP is 10.SUBNET.0.100.")
@click.option("--timeout", type=click.FloatRange(1), default=60, show_default=True,
              help="Seconds to wait for the cluster and the demo.")
@_lab_errors
def up(nodes: int, config: Path | None, no_demo: bool, prefix: str, subnet: int,
       timeout: float) -> None:
    """Build the lab, start an agent in each node and wait for the cluster (and the
    demo's answer through the VIP)."""
    workdir = _workdir()
    require_root_and_tools()
    try:
        bare = LabSpec(prefix=prefix, nodes=nodes, subnet=subnet)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    _taken(prefix, workdir)
    with_demo = not no_demo and config is None
    extra = "" if no_demo else demo.extra_yaml(bare, workdir, config)
    spec = LabSpec(prefix=prefix, nodes=nodes, subnet=subnet, extra_yaml=extra)
    lab = Lab(spec, workdir)
    _check_config(lab, config)
    lab.create()
    if with_demo or "${haproxy_cfg}" in (config.read_text() if config else ""):
        (workdir / demo.HAPROXY_FILE).write_text(demo.haproxy_config(spec))
    session.save(lab, demo=with_demo, vip=demo.vip(spec) if with_demo else None)
    for node in lab.node_names:
        lab.start(node)
    click.echo(f"lab {prefix}: {nodes} nodes ({' '.join(lab.node_names)}) on "
               f"10.{subnet}.0.0/24, the client at {lab.address(CLIENT)}; "
               f"files in {workdir}")
    _wait(lab, "a cluster of every node", lambda: _formed(lab.statuses()), timeout)
    click.echo(f"cluster formed: {' '.join(lab.node_names)}")
    if not with_demo:
        _what_now(lab, None, None)
        return
    url = f"http://{demo.vip(spec)}/"
    answers: list[str] = []

    def answered() -> bool:
        answer = http_get(lab, CLIENT, url, timeout=0.5)
        if answer:
            answers.append(answer)
        return bool(answer)
    _wait(lab, f"an answer from {url}", answered, timeout)
    holder = _vip_holder(lab)
    click.echo(f"demo: {url} answered from the client: {answers[-1]} "
               f"(web runs on {holder or '?'})")
    _what_now(lab, demo.vip(spec), holder)


def _check_config(lab: Lab, source: Path | None) -> None:
    """The generated configuration must load before any namespace is built."""
    name = f"{source or demo.CONFIG_TEMPLATE} (after the generated nodes and heartbeat)"
    result = load_config_text(lab.spec.config_text(), name)
    errors = [r for r in result.reports if r.severity is Severity.ERROR]
    if result.config is None or errors:
        text = "; ".join(r.as_text() for r in errors) or "it does not load"
        raise CliError(f"the lab's configuration is not valid: {text}")


def _what_now(lab: Lab, vip: str | None, holder: str | None) -> None:
    node = holder or lab.node_names[0]
    click.echo("\nwhat now:")
    if vip:
        click.echo(f"  hafailover lab exec client -- curl -s http://{vip}/   # ask the demo")
    click.echo(f"  hactl --socket {lab.control_socket(node)} status")
    click.echo(f"  hafailover lab exec {node} -- hactl status          # the same, from {node}")
    if vip:
        click.echo(f"  hafailover lab kill {node}    # power off the VIP's node; watch "
                   "the VIP move")
    click.echo("  hafailover lab status; hafailover lab down")


@lab_group.command("down")
@click.option("--prefix", help="Also remove the namespaces of this prefix (when lab.json "
                               f"is gone; default {DEFAULT_PREFIX} then).")
@_lab_errors
def down(prefix: str | None) -> None:
    """Kill every process of the lab, delete its namespaces and files. Safe to repeat,
    and works when the lab's own description is gone."""
    workdir = _workdir()
    prefixes = {p for p in (prefix, session.saved_prefix(workdir)) if p}
    if not prefixes:
        prefixes = {DEFAULT_PREFIX}
    removed: list[str] = []
    for name in sorted(prefixes):
        removed += cleanup(name)
    had_files = (workdir / session.LAB_FILE).exists()
    session.forget(workdir)
    if removed:
        click.echo(f"removed namespaces {', '.join(removed)}")
    if had_files:
        click.echo(f"removed the lab's files in {workdir}")
    if not removed and not had_files:
        click.echo(f"nothing to remove: no namespace of {', '.join(sorted(prefixes))}, "
                   f"no lab in {workdir}")


# --- looking at it ------------------------------------------------------------------------


@lab_group.command("status")
@format_option
@_lab_errors
def status(output_format: str) -> None:
    """Each node (agent running, frozen, stopped or powered off; links; partition and
    loss in effect), the cluster as an agent sees it, and the demo's answer."""
    report = lab_report(_attach())
    if output_format == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo("\n".join(report_lines(report)))


@lab_group.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("member")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@_lab_errors
def exec_(member: str, command: tuple[str, ...]) -> None:
    """Run COMMAND in MEMBER's namespace (a node or client) with the node's HAFAILOVER_*
    environment, so that hactl there talks to that node's agent:

        hafailover lab exec n1 -- hactl status
    """
    lab = _attach().lab
    if member not in lab.members:
        raise click.BadParameter(f"no {member!r} in the lab (nodes: "
                                 f"{', '.join(lab.node_names)}, {CLIENT})",
                                 param_hint="MEMBER")
    env = dict(os.environ) | lab.environment(member)
    if member != CLIENT:
        env["HACTL_SOCKET"] = str(lab.control_socket(member))
    argv = lab.netns(member).command(command)
    os.execvpe(argv[0], argv, env)


# --- faults -------------------------------------------------------------------------------


@lab_group.command("kill")
@click.argument("node")
@_lab_errors
def kill(node: str) -> None:
    """Power loss: every process of NODE killed at once, its links down."""
    current = _attach()
    current.lab.power_off(_node(current, node))
    click.echo(f"{node}: powered off (every process killed, links down); the others "
               "notice within the dead time and fence it before taking over its "
               f"resources; bring it back with hafailover lab start {node}")


@lab_group.command("start")
@click.argument("node")
@_lab_errors
def start(node: str) -> None:
    """Power NODE on (links up) and start its agent."""
    current = _attach()
    lab = current.lab
    _node(current, node)
    if lab.running(node):
        raise CliError(f"{node} already runs its agent (pid {lab.pid(node)})")
    lab.power_on(node)
    lab.start(node)
    click.echo(f"{node}: links up, agent started (pid {lab.pid(node)}); it joins the "
               "cluster within a few heartbeats: hafailover lab status")


@lab_group.command("restart")
@click.argument("node")
@_lab_errors
def restart(node: str) -> None:
    """Stop NODE's agent gracefully (SIGTERM: it hands its resources over first) and
    start it again."""
    current = _attach()
    lab = current.lab
    _node(current, node)
    was = lab.pid(node)
    code = lab.stop(node, timeout=STOP_TIMEOUT)
    lab.start(node)
    if was is None:
        before = "no agent ran"
    elif code == -signal.SIGKILL:
        before = (f"agent {was} did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM and was "
                  "killed (SIGKILL): the others count it as lost, and fence it when "
                  f"fencing is on; its log says where it waited ({lab.log_path(node)})")
    else:
        before = f"agent {was} stopped (SIGTERM, resources handed over)"
    click.echo(f"{node}: {before}; started again (pid {lab.pid(node)})")


def _freeze_or_thaw(node: str, everything: bool, sig: signal.Signals) -> str:
    current = _attach()
    lab = current.lab
    _node(current, node)
    if everything:
        lab.signal_all(node, sig)
        return "every process"
    if sig == signal.SIGSTOP:
        lab.freeze(node)
    else:
        lab.thaw(node)
    return f"the agent (pid {lab.pid(node)})"


@lab_group.command("freeze")
@click.argument("node")
@click.option("--all", "everything", is_flag=True,
              help="Every process of the node (its services too), not only the agent.")
@_lab_errors
def freeze(node: str, everything: bool) -> None:
    """SIGSTOP NODE's agent (or, with --all, everything on it): a hung node."""
    what = _freeze_or_thaw(node, everything, signal.SIGSTOP)
    click.echo(f"{node}: {what} frozen (SIGSTOP); the others see it silent after the dead "
               f"time; resume with hafailover lab thaw {node}" + (" --all" if everything
                                                                  else ""))


@lab_group.command("thaw")
@click.argument("node")
@click.option("--all", "everything", is_flag=True, help="Every process of the node.")
@_lab_errors
def thaw(node: str, everything: bool) -> None:
    """SIGCONT NODE's agent (or, with --all, everything on it)."""
    what = _freeze_or_thaw(node, everything, signal.SIGCONT)
    click.echo(f"{node}: {what} resumed (SIGCONT)")


@lab_group.command("partition")
@click.argument("groups", nargs=-1, required=True)
@_lab_errors
def partition(groups: tuple[str, ...]) -> None:
    """Cut the lab into GROUPS (comma-separated members, e.g. n1,n2 n3): no IP packet
    passes between groups, on any link. Replaces an earlier partition; a member in no
    group (the client, say) still reaches everyone."""
    lab = _attach().lab
    sets = [[m for m in group.split(",") if m] for group in groups]
    for member in (m for group in sets for m in group):
        if member not in lab.members:
            raise click.BadParameter(f"no {member!r} in the lab", param_hint="GROUPS")
    lab.partition(*sets)
    click.echo("partitioned: " + " | ".join(",".join(g) for g in sets)
               + "; undo with hafailover lab heal")


@lab_group.command("heal")
@_lab_errors
def heal() -> None:
    """Remove the partition: every member reaches every other again."""
    _attach().lab.heal()
    click.echo("healed: every member reaches every other")


@lab_group.command("loss")
@click.argument("node")
@click.argument("percent", type=click.IntRange(0, 100))
@_lab_errors
def loss(node: str, percent: int) -> None:
    """Drop PERCENT % of the packets NODE sends and receives, at random (nftables);
    0 removes the loss."""
    current = _attach()
    current.lab.loss(_node(current, node), percent)
    click.echo(f"{node}: {percent}% packet loss" if percent else f"{node}: no packet loss")
