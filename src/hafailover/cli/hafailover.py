"""``hafailover``: the agent and its administrative commands."""

from __future__ import annotations

import click

from hafailover import __version__
from hafailover.cli.agent_cmd import agent
from hafailover.cli.agents_cmd import agents_group
from hafailover.cli.chaos_cmd import chaos
from hafailover.cli.keygen_cmd import keygen
from hafailover.cli.lab_cmd import lab_group
from hafailover.cli.validate_cmd import validate
from hafailover.log import configure_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hafailover")
@click.option("--log-format", type=click.Choice(["console", "json"]), default="console",
              show_default=True, help="Logs for people (console) or JSON lines for machines.")
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING...")
def cli(log_format: str, log_level: str) -> None:
    """hafailover: cluster membership, placement, fencing and failover in one agent."""
    configure_logging("json" if log_format == "json" else "console", log_level)


cli.add_command(agent)
cli.add_command(validate)
cli.add_command(agents_group)
cli.add_command(keygen)
cli.add_command(lab_group)
cli.add_command(chaos)


def main() -> None:
    cli()
