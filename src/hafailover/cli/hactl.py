"""``hactl``: the operator's one command-line tool (docs/cli.md)."""

from __future__ import annotations

import click

from hafailover import __version__
from hafailover.cli.config_cmd import config
from hafailover.cli.events_cmd import events
from hafailover.cli.fence_cmd import fence
from hafailover.cli.import_cmd import import_group
from hafailover.cli.node_cmds import maintenance, standby, unstandby
from hafailover.cli.resource_cmds import ban, cleanup, clear, move, start, stop
from hafailover.cli.simulate_cmd import simulate
from hafailover.cli.status_cmd import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog="""
\b
Examples:
  hactl status                      # the cluster at a glance
  hactl move web n2 --wait          # move, and wait until it runs there
  hactl standby n1 --wait           # empty n1 before working on it
  hactl config apply cluster.yaml   # validate, show the diff, apply live
  hactl simulate --node-down n2     # what if n2 died now?
  hactl --help-exit-codes

\b
hactl talks to the local agent over its root-only socket (run it as root), or to
any node with --endpoint HOST:PORT and the cluster's admin certificate.
Shell completion: eval "$(_HACTL_COMPLETE=bash_source hactl)" (zsh_source, fish_source).
""")
@click.version_option(__version__, prog_name="hactl")
@click.option("--help-exit-codes", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: _exit_codes(ctx) if value else None,
              help="Show the exit codes and exit.")
def cli() -> None:
    """Operate a hafailover cluster: status, moves, standby, maintenance, configuration,
    events, simulation, import."""


EXIT_CODES = """\
0  success
1  the command was refused or failed (unknown resource or node, no quorum, errors in a file)
2  usage error (unknown option, missing argument)
3  the agent could not be reached (not running, permission denied on the socket, TLS)
4  --wait timed out before the cluster settled
5  the transition that followed the command failed (an action failed)
"""


def _exit_codes(ctx: click.Context) -> None:
    click.echo(EXIT_CODES, nl=False)
    ctx.exit(0)


for command in (status, move, ban, clear, start, stop, cleanup, standby, unstandby,
                maintenance, fence, config, events, simulate, import_group):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="hactl")


if __name__ == "__main__":
    main()
