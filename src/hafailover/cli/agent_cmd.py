"""``hafailover agent``: run this node's daemon in the foreground."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import click

from hafailover import settings
from hafailover.agent.daemon import Agent, AgentPaths
from hafailover.cli.options import CliError
from hafailover.config.loader import load_config_file
from hafailover.config.model import ClusterConfig


def local_addresses() -> set[str]:
    from pyroute2 import IPRoute  # type: ignore[import-untyped]

    with IPRoute() as ipr:
        return {a.get_attr("IFA_ADDRESS") for a in ipr.get_addr()}


def guess_node(config: ClusterConfig) -> str:
    """The configured node whose address is on this host, else the one named like it."""
    mine = local_addresses()
    for node in config.nodes:
        if set(node.addresses.values()) & mine:
            return node.name
    host = socket.gethostname().split(".")[0]
    if config.node(host) is not None:
        return host
    raise CliError(f"cannot tell which node this is: no configured address is on this host "
                   f"and the host name '{host}' is not a node; pass --node NAME "
                   f"({', '.join(config.node_names())})")


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              default=settings.CONFIG_FILE, show_default=True,
              help="The cluster configuration file.")
@click.option("--node", help="This node's name (default: the node whose address is here).")
def agent(config_path: str, node: str | None) -> None:
    """Run the agent of this node in the foreground (logs on standard error).

    \b
    SIGTERM: leave the cluster cleanly. SIGHUP: re-read the configuration file and
    propose it to the cluster (like hactl config apply). SIGUSR1: log where every task
    and thread of the agent waits (when it seems to hang).
    \b
    Example:
      hafailover --log-format json agent --config /etc/hafailover/cluster.yaml
    """
    result = load_config_file(config_path)
    if result.config is None:
        for report in result.reports:
            click.echo(report.as_text(), err=True)
        raise CliError(f"the configuration has errors; check it with: hafailover validate "
                       f"{config_path}")
    name = node or guess_node(result.config)
    if result.config.node(name) is None:
        raise CliError(f"node '{name}' is not in {config_path} "
                       f"({', '.join(result.config.node_names())})")
    paths = AgentPaths(config=Path(config_path), key_dir=Path(settings.KEY_DIR),
                       state_dir=Path(settings.STATE_DIR), run_dir=Path(settings.RUN_DIR))
    try:
        daemon = Agent(paths, name, Path(config_path).read_text())
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
    raise SystemExit(asyncio.run(daemon.run()))
