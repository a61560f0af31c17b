"""``hactl move|ban|clear|start|stop|cleanup``: commands on one resource.

Each is one ``Control.Command`` call (the agent forwards it to the coordinator, which
changes the replicated state); the reply says what was done and what the cluster will
do. See docs/cli.md.
"""

from __future__ import annotations

from typing import Any

import click

from hafailover.cli.control_options import (
    Connection,
    confirm,
    control_options,
    force_option,
    run_change,
    wait_option,
)
from hafailover.cli.options import format_option
from hafailover.config.values import DURATION_HELP, parse_duration
from hafailover.v1 import control_pb2

CHANGE_EXIT_CODES = ("\b\nExit codes: 0 done; 1 refused (unknown name, no quorum); 3 agent "
                "unreachable;\n4 --wait timed out; 5 the transition failed.")


class DurationType(click.ParamType[float]):
    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _send(connection: Connection, wait: float | None, output_format: str,
          **fields: Any) -> None:
    run_change(connection, control_pb2.CommandRequest(**fields), wait=wait,
               output_format=output_format)


@click.command(epilog="""
\b
Examples:
  hactl move web n2                 # run web on n2; the constraint goes once it runs there
  hactl move web                    # away from where it runs (a ban, until cleared)
  hactl move web n2 --keep --wait   # keep preferring n2; wait for the move
  hactl move web n2 --lifetime 1h   # the preference expires after an hour
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@click.argument("node", required=False)
@click.option("--lifetime", type=DurationType(), default=None,
              help=f"The constraint expires after this long ({DURATION_HELP}).")
@click.option("--keep", is_flag=True,
              help="Keep the constraint after the resource has moved (until 'hactl clear').")
@wait_option
@format_option
@control_options
def move(resource: str, node: str | None, lifetime: float | None, keep: bool,
         wait: float | None, output_format: str, connection: Connection) -> None:
    """Move RESOURCE to NODE, or away from the node where it runs.

    With NODE, the resource gets an INFINITY preference for NODE, removed as soon as it
    runs there unless --keep is given. Without NODE, it is banned from where it runs now
    until 'hactl clear RESOURCE'. 'hactl status' lists every constraint still in force.
    """
    _send(connection, wait, output_format, command="move", resource=resource,
          node=node or "", lifetime=lifetime or 0.0, keep=keep)


@click.command(epilog="""
\b
Examples:
  hactl ban web n1                  # never run web on n1 (until 'hactl clear web')
  hactl ban web n1 --lifetime 30m --wait
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@click.argument("node")
@click.option("--lifetime", type=DurationType(), default=None,
              help=f"The ban expires after this long ({DURATION_HELP}).")
@wait_option
@format_option
@control_options
def ban(resource: str, node: str, lifetime: float | None, wait: float | None,
        output_format: str, connection: Connection) -> None:
    """Keep RESOURCE off NODE (a -INFINITY location constraint)."""
    _send(connection, wait, output_format, command="ban", resource=resource, node=node,
          lifetime=lifetime or 0.0)


@click.command(epilog="""
\b
Examples:
  hactl clear web                   # remove every move/ban of web
  hactl clear web --node n1         # only the ban from n1
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@click.option("--node", default="", help="Only the constraints about this node.")
@wait_option
@format_option
@control_options
def clear(resource: str, node: str, wait: float | None, output_format: str,
          connection: Connection) -> None:
    """Remove the move and ban constraints of RESOURCE made with move or ban.

    The resource may move back where the configuration prefers it (resource-stickiness
    permitting): the reply says what the cluster will do.
    """
    _send(connection, wait, output_format, command="clear", resource=resource, node=node)


@click.command(epilog="""
\b
Examples:
  hactl start web --wait
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@wait_option
@format_option
@control_options
def start(resource: str, wait: float | None, output_format: str,
          connection: Connection) -> None:
    """Let RESOURCE run (target-role Started, over the configuration's)."""
    _send(connection, wait, output_format, command="start", resource=resource)


@click.command(epilog="""
\b
Examples:
  hactl stop web --wait             # stop it everywhere, keep it stopped
  hactl stop web --force            # do not ask
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@force_option
@wait_option
@format_option
@control_options
def stop(resource: str, force: bool, wait: float | None, output_format: str,
         connection: Connection) -> None:
    """Stop RESOURCE everywhere and keep it stopped (target-role Stopped), until
    'hactl start RESOURCE'."""
    confirm(f"Stop {resource} on every node?", force)
    _send(connection, wait, output_format, command="stop", resource=resource)


@click.command(epilog="""
\b
Examples:
  hactl cleanup web                 # forget web's failures everywhere and re-probe it
  hactl cleanup web --node n2 --wait
""" + CHANGE_EXIT_CODES)
@click.argument("resource")
@click.option("--node", default="", help="Only on this node.")
@wait_option
@format_option
@control_options
def cleanup(resource: str, node: str, wait: float | None, output_format: str,
            connection: Connection) -> None:
    """Forget the failures and fail counts of RESOURCE and probe it again, so that the
    cluster may run it where it failed before."""
    _send(connection, wait, output_format, command="cleanup", resource=resource, node=node)
