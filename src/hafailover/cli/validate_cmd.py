"""``hafailover validate FILE``: check a configuration file before it is used.

Exit codes: 0 the file is valid (warnings allowed); 1 at least one error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from hafailover.cli.options import EXIT_FAILED, EXIT_OK, echo_reports, format_option
from hafailover.config import LoadResult, load_config_bytes, load_config_file
from hafailover.config.model import ClusterConfig
from hafailover.config.values import describe_duration
from hafailover.fencing.checks import check_fence_devices
from hafailover.reports import Severity


@click.command()
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@format_option
@click.option("--no-agent-checks", is_flag=True,
              help="Do not run the fence agents' metadata action to check their parameters.")
@click.pass_context
def validate(ctx: click.Context, file: str, output_format: str,
             no_agent_checks: bool) -> None:
    """Check FILE (a cluster.yaml; '-' reads standard input) and print every problem.

    On success, prints what the cluster contains and how quickly a dead node is
    detected with these heartbeat settings. Exit 0 if valid (warnings allowed), 1 if not.
    """
    if file == "-":
        file = "<stdin>"
        result = load_config_bytes(sys.stdin.buffer.read(), file)
    else:
        result = load_config_file(file)
    if result.config is not None and result.config.fence_devices and not no_agent_checks:
        result = with_agent_checks(result, file)
    counts = _counts(result)
    if output_format == "json":
        click.echo(json.dumps(_as_json(file, result, counts), indent=2))
    else:
        echo_reports(result.reports, "text")
        click.echo(_summary_text(file, result, counts))
    ctx.exit(EXIT_OK if result.config is not None else EXIT_FAILED)


def with_agent_checks(result: LoadResult, file: str) -> LoadResult:
    """The file's reports plus what the fence agents' metadata says of their devices."""
    assert result.config is not None
    extra = asyncio.run(check_fence_devices(result.config, file))
    reports = (*result.reports, *extra)
    failed = any(r.severity is Severity.ERROR for r in extra)
    return LoadResult(None if failed else result.config, reports)


def _counts(result: LoadResult) -> dict[str, int]:
    return {
        "errors": sum(r.severity is Severity.ERROR for r in result.reports),
        "warnings": sum(r.severity is Severity.WARNING for r in result.reports),
    }


def detection_sentence(config: ClusterConfig) -> str:
    beat = config.heartbeat
    return (f"failure detection within {describe_duration(beat.detection_time)} "
            f"(dead-time {describe_duration(beat.dead_time)} + interval "
            f"{describe_duration(beat.interval)})")


def _contents(config: ClusterConfig) -> dict[str, int]:
    constraints = config.constraints
    return {
        "nodes": len(config.nodes),
        "resources": sum(1 for _ in config.iter_resources()),
        "top_level_resources": len(config.resources),
        "constraints": len(constraints.locations) + len(constraints.colocations)
        + len(constraints.orders),
        "fence_devices": len(config.fence_devices),
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _summary_text(file: str, result: LoadResult, counts: dict[str, int]) -> str:
    config = result.config
    if config is None:
        return (f"{file}: not valid: {_plural(counts['errors'], 'error')}, "
                f"{_plural(counts['warnings'], 'warning')}")
    contents = _contents(config)
    warnings = f"; {_plural(counts['warnings'], 'warning')}" if counts["warnings"] else ""
    return (f"{file}: valid: cluster '{config.name}' with "
            f"{_plural(contents['nodes'], 'node')}, "
            f"{_plural(contents['resources'], 'resource')}, "
            f"{_plural(contents['constraints'], 'constraint')}; "
            f"{detection_sentence(config)}{warnings}")


def _as_json(file: str, result: LoadResult, counts: dict[str, int]) -> dict[str, Any]:
    summary: dict[str, Any] = dict(counts)
    config = result.config
    if config is not None:
        beat = config.heartbeat
        summary.update(_contents(config))
        summary["cluster"] = config.name
        summary["detection_time_s"] = round(beat.detection_time, 6)
        summary["dead_time_s"] = beat.dead_time
        summary["interval_s"] = beat.interval
        summary["detection"] = detection_sentence(config)
    return {
        "valid": config is not None,
        "file": file,
        "reports": [r.as_json() for r in result.reports],
        "summary": summary,
    }
