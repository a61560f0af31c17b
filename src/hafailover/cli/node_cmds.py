"""``hactl standby|unstandby|maintenance``: commands on nodes and on the whole cluster."""

from __future__ import annotations

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
from hafailover.cli.resource_cmds import CHANGE_EXIT_CODES
from hafailover.v1 import control_pb2


@click.command(epilog="""
\b
Examples:
  hactl standby n2 --wait           # move everything off n2, wait until it is done
  hactl standby n2 --format json
""" + CHANGE_EXIT_CODES)
@click.argument("node")
@wait_option
@format_option
@control_options
def standby(node: str, wait: float | None, output_format: str,
            connection: Connection) -> None:
    """Put NODE in standby: its resources move away and none start there, until
    'hactl unstandby NODE'. The node stays a member (it keeps its vote)."""
    run_change(connection, control_pb2.CommandRequest(command="standby", node=node),
               wait=wait, output_format=output_format)


@click.command(epilog="""
\b
Examples:
  hactl unstandby n2 --wait
""" + CHANGE_EXIT_CODES)
@click.argument("node")
@wait_option
@format_option
@control_options
def unstandby(node: str, wait: float | None, output_format: str,
              connection: Connection) -> None:
    """Let NODE run resources again (resources move back only where the configuration
    and resource-stickiness say so)."""
    run_change(connection, control_pb2.CommandRequest(command="unstandby", node=node),
               wait=wait, output_format=output_format)


@click.command(epilog="""
\b
Examples:
  hactl maintenance on --node n3    # leave n3's resources alone (no monitor, no recovery)
  hactl maintenance off --node n3
  hactl maintenance on              # the whole cluster: nothing is started or stopped
""" + CHANGE_EXIT_CODES)
@click.argument("switch", type=click.Choice(["on", "off"]))
@click.option("--node", default="", help="Only this node (default: the whole cluster).")
@force_option
@wait_option
@format_option
@control_options
def maintenance(switch: str, node: str, force: bool, wait: float | None, output_format: str,
                connection: Connection) -> None:
    """Switch maintenance mode on or off, for one node or for the whole cluster.

    In maintenance the cluster starts, stops and recovers nothing there: resources keep
    running as they are, unmanaged, so that they can be worked on by hand.
    """
    if switch == "on" and not node:
        confirm("Put the whole cluster in maintenance (no recovery anywhere)?", force)
    run_change(connection, control_pb2.CommandRequest(command="maintenance", node=node,
                                                      on=switch == "on"),
               wait=wait, output_format=output_format)
