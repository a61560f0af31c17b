"""``hactl fence NODE`` and ``hactl fence confirm NODE``: fencing by hand."""

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


class FenceGroup(click.Group):
    """``fence NODE`` fences; ``fence confirm NODE`` records that it is down."""

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "node", self.commands["node"], args
        return super().resolve_command(ctx, args)


@click.group(cls=FenceGroup, epilog="""
\b
Examples:
  hactl fence n2                  # power n2 off through its fence devices
  hactl fence confirm n2          # n2 is off (you checked): recover its resources
""")
def fence() -> None:
    """Fence a node by hand, or confirm that a node whose fencing failed is down.

    Fencing powers a node off through its devices (fencing.devices), as the cluster
    does by itself when a node is lost. See docs/fencing.md.
    """


@fence.command("node", hidden=True, epilog=CHANGE_EXIT_CODES)
@click.argument("node")
@force_option
@wait_option
@format_option
@control_options
def fence_node(node: str, force: bool, wait: float | None, output_format: str,
               connection: Connection) -> None:
    """Power NODE off through its fence devices (run it from another node)."""
    confirm(f"Power {node} off through its fence devices?", force)
    run_change(connection, control_pb2.CommandRequest(command="fence", node=node),
               wait=wait, output_format=output_format)


@fence.command("confirm", epilog="""
\b
Examples:
  hactl fence confirm n2 --wait
""" + CHANGE_EXIT_CODES)
@click.argument("node")
@force_option
@wait_option
@format_option
@control_options
def fence_confirm(node: str, force: bool, wait: float | None, output_format: str,
                  connection: Connection) -> None:
    """Record that NODE is powered off, so that its resources are recovered.

    Only after you have made sure: if NODE still runs them, they run twice.
    """
    confirm(f"Is {node} really powered off? Its resources will be started elsewhere",
            force)
    run_change(connection, control_pb2.CommandRequest(command="fence-confirm", node=node),
               wait=wait, output_format=output_format)
