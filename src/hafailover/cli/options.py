"""Options and errors shared by the ``hafailover`` and ``hactl`` command lines.

Exit codes (docs/cli.md): 0 success; 1 the command was refused, failed or found errors;
2 usage error (click); 3 the agent could not be reached (not running, permission denied,
TLS); 4 ``--wait`` timed out before the cluster settled; 5 the transition that followed
the command failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from hafailover.reports import Report

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_WAIT_TIMEOUT = 4
EXIT_TRANSITION_FAILED = 5

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """One clear message instead of a traceback."""

    exit_code = EXIT_FAILED


def format_option(func: F) -> F:
    return click.option(
        "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
        show_default=True, help="Output for people (text) or for scripts (json).",
    )(func)


def echo_reports(reports: Sequence[Report], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps({"reports": [r.as_json() for r in reports]}, indent=2))
        return
    for report in reports:
        click.echo(report.as_text(), err=False)
