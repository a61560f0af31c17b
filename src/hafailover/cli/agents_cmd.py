"""``hafailover agents``: install and list our OCF resource agents (provider hafailover).

Exit codes: 0 success; 1 the agents directory was not found or a file could not be written.
"""

from __future__ import annotations

import json

import click

from hafailover import settings
from hafailover.agents.ocf_dir import (
    AgentsNotFoundError,
    AgentState,
    InstallAction,
    agent_statuses,
    install_agents,
    provider_dir,
    shipped_agents_dir,
    summarize,
)
from hafailover.cli.options import CliError, format_option

ocf_root_option = click.option(
    "--ocf-root", type=click.Path(file_okay=False), default=None,
    help=f"OCF root directory  [default: {settings.OCF_ROOT}, from HAFAILOVER_OCF_ROOT]",
)


@click.group(name="agents")
def agents_group() -> None:
    """Our OCF resource agents (ocf:hafailover:*): install them, see what is installed."""


@agents_group.command(name="install")
@ocf_root_option
@format_option
def install(ocf_root: str | None, output_format: str) -> None:
    """Copy every agent into OCF_ROOT/resource.d/hafailover/ (mode 0755).

    Safe to repeat: a file is rewritten only when its content or mode differs, and
    each is replaced atomically, so an agent that is running is never seen half-written.
    """
    try:
        source = shipped_agents_dir()
        results = install_agents(ocf_root, source)
    except AgentsNotFoundError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot install the agents into {provider_dir(ocf_root)}: {exc}") from exc
    counts = summarize(results)
    target = provider_dir(ocf_root)
    if output_format == "json":
        click.echo(json.dumps({"source": str(source), "target": str(target), "counts": counts,
                               "agents": [r.as_json() for r in results]}, indent=2))
        return
    width = max((len(r.name) for r in results), default=0)
    for result in results:
        click.echo(f"{result.action.value:<9}  {result.name:<{width}}  {result.target}")
    changed = counts[InstallAction.INSTALLED] + counts[InstallAction.UPDATED]
    click.echo(f"{len(results)} agents from {source} in {target}: "
               f"{counts[InstallAction.INSTALLED]} installed, {counts[InstallAction.UPDATED]} "
               f"updated, {counts[InstallAction.UNCHANGED]} unchanged.")
    if changed:
        click.echo("Resources can now use them as ocf:hafailover:<name>; running resources "
                   "pick up the new agent at their next operation.")


@agents_group.command(name="list")
@ocf_root_option
@format_option
def list_agents(ocf_root: str | None, output_format: str) -> None:
    """Show each agent we ship and whether the OCF root has it, up to date."""
    try:
        statuses = agent_statuses(ocf_root, shipped_agents_dir())
    except AgentsNotFoundError as exc:
        raise CliError(str(exc)) from exc
    if output_format == "json":
        click.echo(json.dumps({"target": str(provider_dir(ocf_root)),
                               "agents": [s.as_json() for s in statuses]}, indent=2))
        return
    width = max((len(s.name) for s in statuses), default=4)
    click.echo(f"{'NAME':<{width}}  {'STATE':<13}  PATH")
    for status in statuses:
        click.echo(f"{status.name:<{width}}  {status.state.value:<13}  {status.target}")
    if any(s.state is not AgentState.CURRENT for s in statuses):
        click.echo("Run 'hafailover agents install' to install or update them.")
