"""How ``hactl`` commands reach an agent (``--socket``, ``--endpoint``, ``--key-dir``),
``--wait``, and the mapping of every failure to one message and a documented exit code
(see ``hafailover.cli.options``)."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from hafailover import settings
from hafailover.cli.options import (
    EXIT_FAILED,
    EXIT_TRANSITION_FAILED,
    EXIT_UNREACHABLE,
    EXIT_WAIT_TIMEOUT,
    CliError,
)
from hafailover.control.client import (
    ControlClient,
    ControlError,
    default_socket,
    unanswerable,
    wait_until_settled,
)
from hafailover.v1 import control_pb2

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_WAIT = 60.0  # seconds, for a bare --wait


class UnreachableError(CliError):
    exit_code = EXIT_UNREACHABLE


class WaitTimeoutError(CliError):
    exit_code = EXIT_WAIT_TIMEOUT


class TransitionFailedError(CliError):
    exit_code = EXIT_TRANSITION_FAILED


@dataclass(frozen=True)
class Connection:
    """Where the agent is: its unix socket, or a node's peer port over mutual TLS."""

    socket: Path | None = None
    endpoint: str | None = None
    key_dir: Path = Path(settings.KEY_DIR)
    server_name: str | None = None

    def open(self) -> ControlClient:
        if self.endpoint:
            return ControlClient.tls(self.endpoint, self.key_dir, server_name=self.server_name)
        return ControlClient.unix(self.socket or default_socket())


def control_options(func: F) -> F:
    """Add --socket/--endpoint/--key-dir/--server-name; the command gets ``connection``."""

    @functools.wraps(func)
    def wrapper(*args: Any, socket_path: str | None, endpoint: str | None, key_dir: str,
                server_name: str | None, **kwargs: Any) -> Any:
        if socket_path and endpoint:
            raise click.UsageError("give --socket or --endpoint, not both")
        connection = Connection(Path(socket_path) if socket_path else None, endpoint,
                                Path(key_dir), server_name)
        return func(*args, connection=connection, **kwargs)

    options = [
        click.option("--socket", "socket_path", metavar="PATH", envvar="HACTL_SOCKET",
                     help=f"The local agent's control socket [default: {default_socket()}; "
                          "env HACTL_SOCKET].", show_envvar=False),
        click.option("--endpoint", metavar="HOST:PORT", envvar="HACTL_ENDPOINT",
                     help="Talk to the agent of any node over its peer port with mutual TLS "
                          "(the cluster's admin certificate) [env HACTL_ENDPOINT]."),
        click.option("--key-dir", metavar="DIR", default=settings.KEY_DIR,
                     show_default=True, type=click.Path(file_okay=False),
                     help="With --endpoint: where ca.crt, admin.crt and admin.key are."),
        click.option("--server-name", metavar="NODE",
                     help="With --endpoint: the node name its certificate must carry, "
                          "when HOST is neither its name nor an address in it."),
    ]
    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]


def wait_option(func: F) -> F:
    return click.option(
        "--wait", "wait", type=click.FloatRange(min=0), is_flag=False,
        flag_value=DEFAULT_WAIT, default=None, metavar="[SECONDS]",
        help=f"Block until the cluster has carried the change out (default "
             f"{DEFAULT_WAIT:g}s); exit 4 on timeout, 5 if an action failed.",
    )(func)


def force_option(func: F) -> F:
    return click.option("--force", "-f", is_flag=True,
                        help="Do not ask for confirmation.")(func)


def confirm(question: str, force: bool) -> None:
    """Ask before something destructive, when there is someone to ask."""
    if force or not sys.stdin.isatty():
        return
    if not click.confirm(question, default=False):
        raise CliError("nothing was done")


@contextmanager
def connected(connection: Connection) -> Iterator[ControlClient]:
    """An open client; failures to reach the agent become exit code 3."""
    try:
        client = connection.open()
    except ControlError as exc:
        raise UnreachableError(str(exc)) from None
    try:
        with client:
            yield client
    except ControlError as exc:
        raise UnreachableError(str(exc)) from None


# --- state-changing commands --------------------------------------------------------------

_REFUSAL_HINTS = (
    ("no quorum", "Nothing can be changed from a partition without quorum: bring the "
                  "other nodes back (see 'hactl status'), or give the command on a node of "
                  "the partition that has quorum."),
    ("is not the coordinator", "The cluster is forming (or this node is alone); wait a "
                               "few seconds and try again, and see 'hactl status'."),
    ("failed: UNAVAILABLE", "The coordinator did not answer this node; see 'hactl status'."),
)


def refusal(message: str) -> str:
    for needle, hint in _REFUSAL_HINTS:
        if needle in message:
            return f"refused: {message}\n{hint}"
    return f"refused: {message}"


@dataclass
class Outcome:
    """What a state-changing command did, for text or JSON."""

    ok: bool
    message: str
    consequences: list[str] = field(default_factory=list)
    wait: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "consequences": self.consequences,
                "wait": self.wait, **self.details}


def run_change(connection: Connection, request: control_pb2.CommandRequest, *,
               wait: float | None, output_format: str) -> None:
    """Send a command, say what it did and what the cluster will do, and wait if asked."""
    started = time.time()
    with connected(connection) as client:
        reply = client.command(request)
        if not reply.ok:
            if output_format == "json":
                click.echo(json.dumps(Outcome(False, reply.message).as_json(), indent=2))
                raise click.exceptions.Exit(EXIT_FAILED)
            raise CliError(refusal(reply.message))
        outcome = Outcome(True, reply.message, list(reply.consequences))
        if output_format == "text":
            echo_consequences(reply.message, outcome.consequences)
        if wait is not None:
            resources = [request.resource] if request.resource else []
            settle(client, outcome, wait, output_format, since=started,
                   first_transition=reply.transition, resources=resources)
            return
        if output_format == "json":
            click.echo(json.dumps(outcome.as_json(), indent=2))


def echo_consequences(message: str, consequences: Sequence[str]) -> None:
    click.echo(f"Done: {message}")
    if list(consequences) == ["nothing to do"]:
        click.echo("The cluster has nothing to do.")
        return
    click.echo("The cluster will now:")
    for line in consequences:
        click.echo(f"  {line}")


def settle(client: ControlClient, outcome: Outcome, timeout: float, output_format: str, *,
           since: float, first_transition: int, resources: Sequence[str]) -> None:
    """Wait for the cluster to settle; report, and exit 4 or 5 when it did not go well."""
    progress = output_format == "text" and sys.stderr.isatty()
    last = None
    for elapsed, last in wait_until_settled(client, timeout):
        if progress and not last.complete:
            click.echo(f"\rwaiting for the cluster: {elapsed:4.1f}s of {timeout:g}s; "
                       f"{_doing(client)}\x1b[K", nl=False, err=True)
    if progress:
        click.echo("\r\x1b[K", nl=False, err=True)
    assert last is not None
    status = client.status()
    cluster = status.get("cluster_status") or {}
    failures = failed_since(cluster, since, resources)
    ran = int(cluster.get("transition", {}).get("number", 0)) >= first_transition > 0
    failed = bool(failures) or (last.complete and last.failed and ran)
    outcome.wait = {"complete": last.complete, "failed": failed, "seconds": round(elapsed, 3),
                    "message": last.message, "failed_actions": failures}
    if output_format == "json":
        click.echo(json.dumps(outcome.as_json(), indent=2))
    if not last.complete:
        if unanswerable(last):
            raise UnreachableError(f"cannot wait: {last.message}")
        raise WaitTimeoutError(f"the cluster has not settled after {timeout:g}s "
                               f"({last.message}); 'hactl status' shows where it is")
    if failed:
        lines = [f"  {f['action']} {f['resource']} on {f['node']}: {f['reason']}"
                 for f in failures] or [f"  {last.message}"]
        raise TransitionFailedError("the transition failed:\n" + "\n".join(lines)
                                    + "\n'hactl status' shows the failures; 'hactl cleanup "
                                    "RESOURCE' forgets them once the cause is fixed")
    if output_format == "text":
        click.echo(f"Settled after {elapsed:.1f}s: {last.message}")


def _doing(client: ControlClient) -> str:
    try:
        cluster = client.status(timeout=1.0).get("cluster_status") or {}
    except ControlError:
        return "..."
    transition = cluster.get("transition") or {}
    if transition.get("running"):
        return f"transition {transition.get('number')} running"
    return str(transition.get("last", "..."))


def failed_since(cluster: dict[str, Any], since: float,
                 resources: Sequence[str]) -> list[dict[str, Any]]:
    """Failed actions newer than ``since`` of ``resources`` (their primitives), or of
    any resource when none is named."""
    wanted: set[str] = set()
    for tree in cluster.get("resource_tree") or []:
        wanted |= _primitives_named(tree, set(resources))
    found = []
    for action in cluster.get("failed_actions") or []:
        if float(action.get("time") or 0) < since - 0.5:
            continue
        if resources and action["resource"] not in wanted:
            continue
        found.append(action)
    return found


def _primitives_named(tree: dict[str, Any], names: set[str], inside: bool = False) -> set[str]:
    inside = inside or tree["id"] in names
    if tree["kind"] == "primitive":
        return {tree["id"]} if inside else set()
    children = tree["members"] if tree["kind"] == "group" else [tree["child"]]
    found: set[str] = set()
    for child in children:
        found |= _primitives_named(child, names, inside)
    return found
