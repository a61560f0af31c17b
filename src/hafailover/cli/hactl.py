"""``hactl``: the operator's one command-line tool."""

from __future__ import annotations

import click

from hafailover import __version__
from hafailover.cli.import_cmd import import_group
from hafailover.cli.simulate_cmd import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hactl")
def cli() -> None:
    """Operate a hafailover cluster: status, moves, standby, simulation, import."""


cli.add_command(simulate)
cli.add_command(import_group)


def main() -> None:
    cli()
