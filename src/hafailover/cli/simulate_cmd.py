"""``hactl simulate``: what the placement engine would do if nodes or resources failed.

A thin shell: read the configuration (YAML or a Pacemaker CIB) and the state, apply
the what-if events (``hafailover.core.whatif``), run the scheduler, render the result
(``hafailover.cli.transition_text``). Every input problem becomes a report and exit
code 1; usage mistakes exit 2. See docs/simulate.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from hafailover.cli.control_options import Connection, connected, control_options
from hafailover.cli.live_state import live_config, live_state
from hafailover.cli.options import EXIT_FAILED, echo_reports, format_option
from hafailover.cli.transition_text import Simulation, render_text, transition_json
from hafailover.config.loader import load_config_file
from hafailover.config.model import ClusterConfig
from hafailover.core.scheduler import schedule
from hafailover.core.state import ClusterState, state_from_json
from hafailover.core.transition import Transition
from hafailover.core.whatif import (
    Event,
    NodeDown,
    NodeUp,
    Standby,
    apply_events,
    check_events,
    check_state_json,
    initial_state,
    parse_fail,
    reconcile_state,
)
from hafailover.pacemaker.cib_import import read_cib
from hafailover.report_codes import Code
from hafailover.reports import Report, ReportedError, Severity, errors

Scheduler = Callable[[ClusterConfig, ClusterState], Transition]


@dataclass(frozen=True)
class SimulatePorts:
    """What the command takes from the outside world; tests pass fakes as ``obj``."""

    schedule: Scheduler
    now: Callable[[], float]


_EXAMPLES = """
\b
Examples:
  # what happens if n1 dies?
  hactl simulate cluster.yaml --state state.json --node-down n1
  # why there? show each node's score and what it is made of
  hactl simulate cluster.yaml --state state.json --node-down n1 --scores
  # does a third failure of vip on n1 reach migration-threshold 3?
  hactl simulate cluster.yaml --state state.json --fail vip:n1 --fail vip:n1 --fail vip:n1
  # what moves if n2 goes to standby, for a script
  hactl simulate cluster.yaml --state state.json --standby n2 --format json
  # a Pacemaker cluster as it is now
  cibadmin -Q > cib.xml && hactl simulate --pacemaker-cib cib.xml --node-down node1
  # this cluster as it runs now (asks the local agent): what if n2 dies?
  hactl simulate --node-down n2

\b
Events apply in this order: nodes up, nodes down, standby, failures.
Without CONFIG or --pacemaker-cib, the running cluster's configuration and state
are taken from the agent (--socket, or --endpoint with the admin certificate).
Exit codes: 0 the simulation ran; 1 a problem in the configuration, CIB,
state or events (all reported); 2 usage error; 3 the agent could not be reached.
See docs/simulate.md.
"""


@click.command(epilog=_EXAMPLES)
@click.argument("config_path", metavar="[CONFIG]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--state", "state_path", type=click.Path(dir_okay=False), metavar="STATE.json",
              help="Cluster state as JSON (default: the CIB's status with --pacemaker-cib, "
                   "else every node online and nothing running).")
@click.option("--pacemaker-cib", "cib_path", type=click.Path(dir_okay=False),
              metavar="CIB.xml",
              help="Take configuration and state from a Pacemaker CIB instead of CONFIG.")
@click.option("--node-down", multiple=True, metavar="NODE",
              help="The node dies (unclean, to be fenced, when stonith is enabled).")
@click.option("--node-up", multiple=True, metavar="NODE", help="The node joins, clean.")
@click.option("--fail", "fail_specs", multiple=True, metavar="RESOURCE:NODE",
              help="The resource fails on the node; its fail count grows by one "
                   "(repeat to fail it again).")
@click.option("--standby", multiple=True, metavar="NODE", help="Put the node in standby.")
@click.option("--scores", "show_scores", is_flag=True,
              help="Show each node's score per resource and what it is made of.")
@format_option
@control_options
@click.pass_context
def simulate(ctx: click.Context, *, config_path: str | None, state_path: str | None,
             cib_path: str | None, node_down: tuple[str, ...], node_up: tuple[str, ...],
             fail_specs: tuple[str, ...], standby: tuple[str, ...], show_scores: bool,
             output_format: str, connection: Connection) -> None:
    """Show what the cluster would do if nodes or resources failed.

    Reads the configuration from CONFIG (YAML), from a Pacemaker CIB, or from the
    running cluster when neither is given, applies the
    events given as options to the current state, and prints the cluster status
    before, the transition the placement engine plans with the reason for every
    change, and the cluster status after. Nothing is changed on any cluster.
    """
    source = _source(config_path, cib_path, state_path)
    ports = ctx.find_object(SimulatePorts) or SimulatePorts(schedule=schedule, now=time.time)
    try:
        if source is None:
            config, before, reports = _load_live(connection, ports.now)
        else:
            config, before, reports = _load(source, state_path, ports.now)
        events, event_reports = _events(config, node_up, node_down, standby, fail_specs)
        reports += event_reports
        _raise_errors(reports)
    except ReportedError as problem:
        echo_reports(problem.reports, output_format)
        ctx.exit(EXIT_FAILED)
    for warning in reports:  # only warnings are left
        click.echo(warning.as_text(), err=True)
    whatif = apply_events(config, before, events)
    transition = ports.schedule(config, whatif.state)
    if output_format == "json":
        click.echo(json.dumps(transition_json(config, transition, show_scores), indent=2))
        return
    click.echo(render_text(Simulation(config, before, whatif.state, transition, whatif.log,
                                      show_scores)), nl=False)


@dataclass(frozen=True)
class _Source:
    path: str
    is_cib: bool


def _source(config_path: str | None, cib_path: str | None,
            state_path: str | None = None) -> _Source | None:
    """Where configuration and state come from; None: the running cluster."""
    if config_path and cib_path:
        raise click.UsageError("give CONFIG or --pacemaker-cib, not both")
    if cib_path:
        return _Source(cib_path, is_cib=True)
    if config_path:
        return _Source(config_path, is_cib=False)
    if state_path:
        raise click.UsageError("--state needs CONFIG or --pacemaker-cib; without them the "
                               "running cluster's state is used")
    return None


def _load_live(connection: Connection,
               now: Callable[[], float]) -> tuple[ClusterConfig, ClusterState, list[Report]]:
    """The running cluster's configuration and state, asked of the agent."""
    with connected(connection) as client:
        status = client.status()
        text = client.running_config()
    config = live_config(status, text)
    state, reports = reconcile_state(config, live_state(status, config, now()))
    return config, state, reports


def _raise_errors(reports: Sequence[Report]) -> None:
    if errors(reports):
        raise ReportedError(reports)


def _load(source: _Source, state_path: str | None,
          now: Callable[[], float]) -> tuple[ClusterConfig, ClusterState, list[Report]]:
    """Configuration and state with every problem found in them.

    Raises ReportedError when the configuration cannot be used; problems of the state
    are returned with the warnings so that they are reported with those of the events.
    """
    if source.is_cib:
        config, cib_state, reports = _read_cib(source.path)
    else:
        (config, reports), cib_state = _read_config(source.path), None
    if state_path:
        loaded, state_reports = _read_state(state_path)
        reports += state_reports
        state = loaded or initial_state(config, now())
    else:
        state = cib_state or initial_state(config, now())
    state, fit_reports = reconcile_state(config, state)
    return config, state, reports + fit_reports


def _read_config(path: str) -> tuple[ClusterConfig, list[Report]]:
    """The configuration, its warnings summed up in one report: validate explains them."""
    result = load_config_file(path)
    if result.config is None or errors(result.reports):
        raise ReportedError(result.reports)
    if not result.reports:
        return result.config, []
    codes = ", ".join(sorted({r.code for r in result.reports}))
    count = len(result.reports)
    return result.config, [Report(
        code=Code.CONFIG_WARNINGS, severity=Severity.WARNING, file=path,
        message=f"{count} configuration warning{'s' if count > 1 else ''} not shown ({codes})",
        hint=f"'hafailover validate {path}' shows them")]


def _read_cib(path: str) -> tuple[ClusterConfig, ClusterState | None, list[Report]]:
    result = read_cib(_read_text(path, "CIB"), path)
    if result.config is None or errors(result.reports):
        raise ReportedError(result.reports)
    return result.config, result.state, list(result.reports)


def _read_state(path: str) -> tuple[ClusterState | None, list[Report]]:
    try:
        text = _read_text(path, "STATE")
    except ReportedError as problem:
        return None, problem.reports
    try:
        data = json.loads(text)
    except json.JSONDecodeError as problem:
        return None, [Report(
            code=Code.STATE_BAD_JSON, severity=Severity.ERROR, file=path, line=problem.lineno,
            message=f"not valid JSON: {problem.msg} (column {problem.colno})")]
    reports = check_state_json(data, path)
    return (None if reports else state_from_json(data)), reports


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        reason = getattr(problem, "strerror", None) or str(problem)
        raise ReportedError([Report(
            code=Code[f"{what}_UNREADABLE"], severity=Severity.ERROR, file=path,
            message=f"cannot read the {what.lower()} file: {reason}")]) from None


def _events(config: ClusterConfig, node_up: Sequence[str], node_down: Sequence[str],
            standby: Sequence[str], fail_specs: Sequence[str]) -> tuple[list[Event], list[Report]]:
    events: list[Event] = [NodeUp(n) for n in node_up]
    events += [NodeDown(n) for n in node_down]
    events += [Standby(n) for n in standby]
    reports: list[Report] = []
    for spec in fail_specs:
        parsed = parse_fail(spec)
        if parsed is None:
            reports.append(Report(
                code=Code.BAD_FAIL_SPEC, severity=Severity.ERROR, found=spec,
                message="--fail takes RESOURCE:NODE", hint="for example --fail vip:n1"))
        else:
            events.append(parsed)
    return events, reports + check_events(config, events)

