"""``hactl import``: bring a cluster from another manager into hafailover's format.

``hactl import pacemaker CIB.xml -o DIR`` reads a Pacemaker CIB (``cibadmin -Q`` output)
and writes ``DIR/cluster.yaml`` (the configuration) and ``DIR/state.json`` (what was
running where, for ``hactl simulate --state``). Every feature that does not carry over is
reported; when any report is an error nothing is written and the exit code is 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hafailover.cli.options import EXIT_FAILED, CliError, format_option
from hafailover.pacemaker.cib_import import CibImport, read_cib
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity, errors


@click.group(name="import")
def import_group() -> None:
    """Import a cluster configuration from another cluster manager."""


@import_group.command(name="pacemaker")
@click.argument("cib_path", metavar="CIB.xml", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False),
              help="Directory for cluster.yaml and state.json (created if missing).")
@click.option("--force", is_flag=True,
              help="Overwrite cluster.yaml and state.json if they exist.")
@format_option
def import_pacemaker(cib_path: str, output_dir: str, force: bool, output_format: str) -> None:
    """Convert a Pacemaker CIB into cluster.yaml and state.json.

    Get the CIB with `cibadmin --query > cib.xml` on a cluster node. Unsupported
    features (resource sets, bundles, tickets, ...) are listed; errors stop the import
    before anything is written.

    Exit codes: 0 written; 1 the CIB has errors or the files could not be written.
    """
    from hafailover.config.dump import dump_config
    from hafailover.core.state import state_to_json

    try:
        text = Path(cib_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        reason = getattr(problem, "strerror", None) or str(problem)
        raise CliError(f"{cib_path}: cannot read the CIB: {reason}") from None
    result = read_cib(text, cib_path)
    reports = list(result.reports)
    directory = Path(output_dir)
    targets = (directory / "cluster.yaml", directory / "state.json")
    failed = bool(errors(reports)) or result.config is None or result.state is None
    if not failed and not force:
        existing = [str(t) for t in targets if t.exists()]
        if existing:
            reports.append(Report(
                code=Code.IMPORT_WOULD_OVERWRITE, severity=Severity.ERROR,
                message=f"{', '.join(existing)} already exist", hint="use --force to replace"))
            failed = True
    written: list[str] = []
    if not failed and result.config is not None and result.state is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            targets[0].write_text(dump_config(result.config), encoding="utf-8")
            targets[1].write_text(json.dumps(state_to_json(result.state), indent=2) + "\n",
                                  encoding="utf-8")
            written = [str(t) for t in targets]
        except OSError as problem:
            reports.append(Report(code=Code.IMPORT_WRITE_FAILED, severity=Severity.ERROR,
                                  message=f"cannot write {problem.filename}: {problem.strerror}"))
            failed = True
    _echo(reports, written, result, output_format)
    if failed:
        raise SystemExit(EXIT_FAILED)


def _echo(reports: list[Report], written: list[str], result: CibImport,
          output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps({"reports": [r.as_json() for r in reports], "written": written},
                              indent=2))
        return
    for report in reports:
        click.echo(report.as_text())
    if written and result.config is not None and result.state is not None:
        config = result.config
        primitives = sum(1 for _ in config.primitives())
        click.echo(f"wrote {written[0]}: {len(config.nodes)} nodes, {primitives} primitives "
                   f"in {len(config.resources)} top-level resources, "
                   f"{len(config.fence_devices)} fence devices, "
                   f"{_constraint_count(result)} constraints")
        click.echo(f"wrote {written[1]}: {len(result.state.resources)} active resource "
                   f"instances, {len(result.state.failures)} fail counts")
        click.echo(f"next: hactl simulate {written[0]} --state {written[1]} shows what "
                   "hafailover would do with this cluster")
    else:
        click.echo(f"nothing written: {len(errors(reports))} error(s)", err=True)


def _constraint_count(result: CibImport) -> int:
    if result.config is None:
        return 0
    constraints = result.config.constraints
    return len(constraints.locations) + len(constraints.colocations) + len(constraints.orders)
