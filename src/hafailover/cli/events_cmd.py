"""``hactl events``: the decision history (what the cluster saw and decided)."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import click

from hafailover.cli.control_options import Connection, connected, control_options
from hafailover.cli.options import format_option
from hafailover.config.values import parse_duration
from hafailover.control.client import ControlEvent


class SinceType(click.ParamType[float]):
    """``10m`` (ago), ``2026-01-31T12:00:00`` (local time, or with an offset), or
    seconds since the epoch."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            return number
        try:
            return time.time() - parse_duration(text)
        except ValueError:
            pass
        try:
            return datetime.datetime.fromisoformat(text).timestamp()
        except ValueError:
            self.fail(f"'{text}' is neither a duration ago (10m, 2h), a date and time "
                      "(2026-01-31T12:00:00) nor seconds since the epoch", param, ctx)


def event_line(event: ControlEvent) -> str:
    stamp = datetime.datetime.fromtimestamp(event.time).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"{stamp}  {event.kind:<10}  {event.message}"


@click.command(epilog="""
\b
Examples:
  hactl events                        # everything the agent remembers
  hactl events --since 10m            # the last ten minutes
  hactl events --follow               # then every new event, until Ctrl-C
  hactl events --format json | jq 'select(.kind == "action")'

\b
With --format json, one JSON object per line: time, kind, message, details
(docs/status.md, events[]). Exit codes: 0 shown; 3 the agent could not be reached.
""")
@click.option("--since", type=SinceType(), default=None,
              help="Only events from then on: 10m (ago), a date and time, or epoch seconds.")
@click.option("--follow", "-f", is_flag=True, help="Keep showing new events as they happen.")
@format_option
@control_options
def events(since: float | None, follow: bool, output_format: str,
           connection: Connection) -> None:
    """Show the decision history: membership changes, transitions and the reason for
    every change, actions and their results, commands, configuration changes."""
    with connected(connection) as client:
        try:
            for event in client.events(since or 0.0, follow=follow):
                if output_format == "json":
                    click.echo(json.dumps(event.as_json()))
                else:
                    click.echo(event_line(event))
        except KeyboardInterrupt:
            return
