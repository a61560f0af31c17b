"""``hactl status``: the cluster at a glance (text), or the status document (JSON)."""

from __future__ import annotations

import json
import time

import click

from hafailover.cli.control_options import Connection, connected, control_options
from hafailover.cli.options import format_option
from hafailover.cli.status_text import render_status


@click.command(epilog="""
\b
Examples:
  hactl status                        # the local agent's view
  hactl status --watch                # refresh every 2 s until Ctrl-C
  hactl status --watch 0.5
  hactl status --format json | jq .cluster_status.constraints
  hactl status --endpoint 10.0.0.12:7405 --key-dir /etc/hafailover/keys

\b
Exit codes: 0 shown; 3 the agent could not be reached.
The JSON document is the agent's status document: docs/status.md.
""")
@click.option("--watch", type=click.FloatRange(min=0.1), is_flag=False, flag_value=2.0,
              default=None, metavar="[SECONDS]",
              help="Refresh in place every SECONDS (default 2) until interrupted.")
@format_option
@control_options
def status(watch: float | None, output_format: str, connection: Connection) -> None:
    """Show the cluster: quorum, coordinator, failure-detection time, nodes and their
    links, resources (groups and clones folded), failed actions, fail counts, move/ban
    constraints still in force, and the last events."""
    with connected(connection) as client:
        if watch is None:
            _show(client.status(), output_format)
            return
        try:
            while True:
                document = client.status()
                if output_format == "text":
                    click.clear()
                _show(document, output_format, compact=True)
                time.sleep(watch)
        except KeyboardInterrupt:
            return


def _show(document: dict[str, object], output_format: str, *, compact: bool = False) -> None:
    if output_format == "json":
        click.echo(json.dumps(document, separators=(",", ":")) if compact
                   else json.dumps(document, indent=2))
        return
    click.echo(render_status(document, time.time()), nl=False)
