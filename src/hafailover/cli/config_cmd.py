"""``hactl config show|validate|apply``: the cluster's configuration.

``apply`` validates the file, shows its difference from the running configuration and
what the cluster will do with it, and only then hands it to the agent, which replicates
it with a new version and applies it live. With any error nothing is applied anywhere.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from hafailover.cli.control_options import (
    Connection,
    Outcome,
    confirm,
    connected,
    control_options,
    force_option,
    settle,
    wait_option,
)
from hafailover.cli.live_state import live_config, live_state
from hafailover.cli.options import EXIT_FAILED, CliError, echo_reports, format_option
from hafailover.config.loader import load_config_file, load_config_text
from hafailover.core.scheduler import schedule
from hafailover.core.transition import Transition
from hafailover.report_codes import Code
from hafailover.reports import Report, ReportedError, Severity, errors


@click.group()
def config() -> None:
    """Show, check and change the cluster's configuration."""


@config.command(epilog="""
\b
Examples:
  hactl config show > cluster.yaml    # edit it, then: hactl config apply cluster.yaml
  hactl config show --format json     # with the state version it belongs to

\b
Exit codes: 0 shown; 3 the agent could not be reached.
""")
@format_option
@control_options
def show(output_format: str, connection: Connection) -> None:
    """Print the configuration the cluster runs (as last applied, on every node)."""
    with connected(connection) as client:
        text = client.running_config()
        if output_format == "json":
            version = client.status()["state"]["version"]
            click.echo(json.dumps({"config_yaml": text, "state_version": version}, indent=2))
            return
    click.echo(text, nl=False)


@config.command(epilog="""
\b
Examples:
  hactl config validate cluster.yaml
  hactl config validate cluster.yaml --format json

\b
Checks the file on its own (no agent needed): syntax, names, references, timing.
Exit codes: 0 valid (warnings may be printed); 1 errors found.
""")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@format_option
def validate(path: str, output_format: str) -> None:
    """Check a configuration file and report every problem with its line and key."""
    result = load_config_file(path)
    echo_reports(result.reports, output_format)
    if result.config is None or errors(result.reports):
        raise click.exceptions.Exit(EXIT_FAILED)
    if output_format == "text":
        click.echo(f"{path}: valid" + (f" ({len(result.reports)} warning(s))"
                                       if result.reports else ""))


@config.command(epilog="""
\b
Examples:
  hactl config apply cluster.yaml --dry-run   # the diff and what would happen
  hactl config apply cluster.yaml --wait      # apply, wait until the cluster settled
  hactl config apply cluster.yaml --force     # do not ask

\b
Exit codes: 0 applied (or nothing to change); 1 errors in the file or refused
(nothing applied); 3 agent unreachable; 4 --wait timed out; 5 the transition failed.
""")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show the difference and the consequences; "
              "apply nothing.")
@force_option
@wait_option
@format_option
@control_options
def apply(path: str, dry_run: bool, force: bool, wait: float | None, output_format: str,
          connection: Connection) -> None:
    """Make FILE the cluster's configuration, live.

    The file is validated and compared with the running configuration; the difference
    and what the cluster will do are shown. The agent replicates it to every node with
    a new version and the cluster applies it at once. Resources the change does not
    concern keep running untouched. On any error nothing is applied on any node.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    started = time.time()
    with connected(connection) as client:
        status = client.status()
        local = load_config_text(text, path)
        reports = list(local.reports)
        if local.config is not None and local.config.name != status["cluster"]:
            reports.append(Report(
                code=Code.CONFIG_OTHER_CLUSTER, severity=Severity.ERROR, file=path,
                found=local.config.name,
                message=f"this file is for cluster '{local.config.name}', the agent "
                        f"belongs to '{status['cluster']}'", allowed=status["cluster"]))
        check = client.apply_config(text, dry_run=True)
        if local.config is None or errors(reports):
            _refuse(reports, check.diff, output_format)
        if not check.diff:
            _emit(Outcome(True, "no change: the file is the running configuration"),
                  output_format)
            return
        consequences = _consequences(status, text, path, started)
        if output_format == "text":
            for warning in reports:
                click.echo(warning.as_text(), err=True)
            click.echo(_colour_diff(check.diff), nl=False)
        if dry_run:
            _emit(Outcome(True, "dry run: nothing was applied", consequences,
                          details={"diff": check.diff}), output_format, what="would")
            return
        confirm(f"Apply {path} to the cluster?", force)
        number = int(((status.get("cluster_status") or {}).get("transition") or {})
                     .get("number", 0))
        reply = client.apply_config(text)
        if not reply.applied:
            raise CliError(f"refused by {status['node']}: nothing was applied (the "
                           "coordinator may have changed, or the cluster lost quorum; "
                           "see 'hactl status' and 'hactl events')")
        version = client.status()["state"]["version"]
        outcome = Outcome(True, f"configuration from {path} applied (cluster state "
                          f"{version})", consequences, details={"diff": check.diff})
        if output_format == "text":
            _echo_outcome(outcome)
        if wait is not None:
            settle(client, outcome, wait, output_format, since=started,
                   first_transition=number + 1, resources=[])
            return
        if output_format == "json":
            click.echo(json.dumps(outcome.as_json(), indent=2))


def _refuse(reports: list[Report], diff: str, output_format: str) -> None:
    echo_reports(reports, output_format)
    if output_format == "text":
        count = len(errors(reports))
        click.echo(f"{count} error(s): nothing was applied", err=True)
    raise click.exceptions.Exit(EXIT_FAILED)


def _consequences(status: dict[str, object], text: str, path: str, now: float) -> list[str]:
    """What the scheduler will do with the new configuration in the current state."""
    from hafailover.agent.transitions import describe_change

    try:
        config = live_config(status, text, path)
        transition: Transition = schedule(config, live_state(status, config, now))
    except ReportedError as problem:
        return [f"unknown: {problem.reports[0].message}"]
    return [describe_change(c) for c in transition.changes] or ["nothing to do"]


def _emit(outcome: Outcome, output_format: str, what: str = "will") -> None:
    if output_format == "json":
        click.echo(json.dumps(outcome.as_json(), indent=2))
    else:
        _echo_outcome(outcome, what)


def _echo_outcome(outcome: Outcome, what: str = "will now") -> None:
    click.echo(f"Done: {outcome.message}" if what != "would" else outcome.message)
    if not outcome.consequences:
        return
    if outcome.consequences == ["nothing to do"]:
        click.echo(f"The cluster {what} have nothing to do." if what == "would"
                   else "The cluster has nothing to do.")
        return
    click.echo(f"The cluster {what}:")
    for line in outcome.consequences:
        click.echo(f"  {line}")


def _colour_diff(diff: str) -> str:
    lines = []
    for line in diff.splitlines(keepends=True):
        colour = "green" if line.startswith("+") and not line.startswith("+++") else \
            "red" if line.startswith("-") and not line.startswith("---") else None
        lines.append(click.style(line, fg=colour) if colour else line)
    return "".join(lines)
