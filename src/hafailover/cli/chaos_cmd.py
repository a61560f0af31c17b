"""``hafailover chaos``: a seeded chaos run against a compose cluster."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from hafailover.chaos.engine import EngineError
from hafailover.chaos.harness import ChaosError, ChaosRun, Options
from hafailover.cli.options import CliError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|m|h)?")


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h`` -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 10m or 1h")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


@click.command()
@click.option("--compose", "compose_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default="docker-compose.yml", show_default=True,
              help="The compose file of the cluster (nodes, VIP and client are read from it).")
@click.option("--duration", default="10m", show_default=True,
              help="Time allowed for the faults (90s, 10m, 1h).")
@click.option("--faults", "max_steps", type=click.IntRange(min=1),
              help="Stop after this many steps (a step is one fault or two at once); "
              "fewer within --duration fails the run.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The same seed gives the same faults in the same order.")
@click.option("--engine", type=click.Choice(["podman", "docker"]),
              help="Default: docker when a Docker engine answers, else podman.")
@click.option("--project", default="hafailover", show_default=True,
              help="Compose project; containers are PROJECT-n1, PROJECT-client...")
@click.option("--bound", "bound_s", type=float, default=20.0, show_default=True,
              help="Seconds within which the VIP must answer again after each fault.")
@click.option("--hold", "hold_s", type=float, default=5.0, show_default=True,
              help="Seconds a fault lasts before it is undone.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default="chaos-report.json", show_default=True, help="Where the JSON report goes.")
@click.option("--keep", is_flag=True, help="Leave the cluster running at the end.")
def chaos(compose_file: Path, duration: str, max_steps: int | None, seed: int,
          engine: str | None, project: str, bound_s: float, hold_s: float,
          report_path: Path, keep: bool) -> None:
    """Bring up the compose cluster, write records through its VIP, and apply seeded
    random faults (kill, pause, restart, disconnect a node; kill its agent, haproxy or a
    store) one at a time, then two at once. After each fault: the VIP answers within
    --bound, never two holders, the cluster healthy again; at the end no acknowledged
    write is lost.

    \b
    Exit status: 0 no violation and no lost write; 1 the run failed its checks or
    could not be carried out.
    """
    options = Options(compose_file, seed=seed, duration_s=parse_duration(duration),
                      max_steps=max_steps, engine=engine, project=project, bound_s=bound_s,
                      hold_s=hold_s, keep=keep, say=lambda text: click.echo(text, err=True))
    try:
        report = ChaosRun(options).run()
    except (ChaosError, EngineError) as exc:
        raise CliError(f"chaos run not carried out: {exc}") from None
    report_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    click.echo(report.to_text())
    click.echo(f"report written to {report_path}")
    if not report.passed:
        raise SystemExit(1)
