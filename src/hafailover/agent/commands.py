"""State-changing commands (hactl's move, ban, clear, standby, ...) and configuration
changes, made by the coordinator and forwarded to it from any other node."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from hafailover.agent.errors import ChangeRefusedError
from hafailover.agent.peer_channels import PeerError
from hafailover.agent.ports import CommandHost
from hafailover.agent.transitions import iter_primitives
from hafailover.config.loader import LoadResult, load_config_text
from hafailover.config.model import ClusterConfig, Location
from hafailover.config.scores import INFINITY
from hafailover.fencing.checks import check_fence_devices
from hafailover.reports import Severity, did_you_mean
from hafailover.store import document as doc_ops
from hafailover.store.document import (
    LEFT_RUNNING,
    MAINTENANCE,
    MAINTENANCE_MODE,
    STANDBY,
    TARGET_ROLE,
    Document,
    RuntimeLocation,
)
from hafailover.v1 import control_pb2

FORWARD_TIMEOUT = 30.0

Change = Callable[[Document], Document]


class CommandError(Exception):
    pass


def _node(config: ClusterConfig, name: str) -> str:
    if not name:
        raise CommandError("a node name is needed")
    if config.node(name) is None:
        hint = did_you_mean(name, config.node_names())
        raise CommandError(f"no node '{name}' in this cluster" + (f"; {hint}" if hint else ""))
    return name


def _resource(config: ClusterConfig, name: str) -> str:
    if not name:
        raise CommandError("a resource name is needed")
    if config.find(name) is None:
        hint = did_you_mean(name, [r.id for r in config.iter_resources()])
        raise CommandError(f"no resource '{name}' in this cluster"
                           + (f"; {hint}" if hint else ""))
    return name


def plan(config: ClusterConfig, request: control_pb2.CommandRequest,
         origin: str, now: float,
         running_on: Callable[[str], list[str]] = lambda _: []) -> tuple[Change, str]:
    """The change a command makes to the state, and how to say it. Pure.

    ``running_on(resource)`` says where a resource runs (for a move without a node).
    """
    command = request.command
    expires = now + request.lifetime if request.lifetime > 0 else None

    def attribute(node: str, name: str, value: str | None) -> Change:
        return lambda doc: doc_ops.set_node_attribute(doc, node, name, value, origin)

    if command in ("standby", "unstandby"):
        node = _node(config, request.node)
        value = "on" if command == "standby" else None
        return attribute(node, STANDBY, value), f"{command} {node}"
    if command == "maintenance" and not request.node:
        value = "true" if request.on else None
        return (lambda doc: doc_ops.set_cluster_property(doc, MAINTENANCE_MODE, value, origin),
                f"maintenance {'on' if request.on else 'off'} for the whole cluster")
    if command == "maintenance":
        node = _node(config, request.node)
        value = "on" if request.on else None
        return attribute(node, MAINTENANCE, value), \
            f"maintenance {'on' if request.on else 'off'} for {node}"
    if command in ("start", "stop"):
        resource = _resource(config, request.resource)
        role = "Started" if command == "start" else "Stopped"
        return (lambda doc: doc_ops.set_resource_meta(doc, resource, TARGET_ROLE, role,
                                                      origin),
                f"{command} {resource} (target-role {role})")
    if command == "move" and not request.node:
        resource = _resource(config, request.resource)
        where = running_on(resource)
        if len(where) != 1:
            raise CommandError(f"{resource} runs on {', '.join(where) or 'no node'}: "
                               "name the node to move it to")
        location = Location(id=f"cli-ban-{resource}-on-{where[0]}", resource=resource,
                            score=-INFINITY, node=where[0])
        runtime = RuntimeLocation(location, expires)
        return (lambda doc: doc_ops.add_runtime_location(doc, runtime, origin),
                f"move {resource} away from {where[0]} (a ban, until cleared)")
    if command in ("move", "ban"):
        resource = _resource(config, request.resource)
        node = _node(config, request.node)
        if command == "move":
            location = Location(id=f"cli-prefer-{resource}", resource=resource,
                                score=INFINITY, node=node)
        else:
            location = Location(id=f"cli-ban-{resource}-on-{node}", resource=resource,
                                score=-INFINITY, node=node)
        runtime = RuntimeLocation(location, expires,
                                  until_moved=command == "move" and not request.keep)
        return (lambda doc: doc_ops.add_runtime_location(doc, runtime, origin),
                f"{command} {resource} {'to' if command == 'move' else 'from'} {node}")
    if command == "clear":
        resource = _resource(config, request.resource)
        node_or_none = _node(config, request.node) if request.node else None
        return (lambda doc: doc_ops.remove_runtime_locations(
            doc, origin, resource=resource, node=node_or_none)[0],
            f"clear the move/ban constraints of {resource}")
    if command == "cleanup":
        resource = _resource(config, request.resource)
        node_or_none = _node(config, request.node) if request.node else None

        def forget(doc: Document) -> Document:
            kept = [f for f in doc.failures if not (
                f.resource == resource and node_or_none in (None, f.node))]
            if len(kept) == len(doc.failures):
                return doc
            return doc_ops.set_failures(doc, kept, origin)
        return forget, f"cleanup {resource}" + (f" on {node_or_none}" if node_or_none else "")
    known = "standby, unstandby, maintenance, start, stop, move, ban, clear, cleanup"
    hint = did_you_mean(command, known.split(", "))
    raise CommandError(f"unknown command '{command}' (known: {known})"
                       + (f"; {hint}" if hint else ""))


async def run_command(agent: CommandHost, request: control_pb2.CommandRequest, *,
                      forwarded: bool = False) -> control_pb2.CommandReply:
    coordinator = agent.membership.view.coordinator
    if coordinator != agent.node:
        if forwarded or coordinator is None:
            return control_pb2.CommandReply(
                ok=False, message=f"{agent.node} is not the coordinator and knows no other")
        try:
            reply: control_pb2.CommandReply = await agent.peers.call(
                coordinator, "Submit", request, FORWARD_TIMEOUT)
            return reply
        except PeerError as exc:
            return control_pb2.CommandReply(ok=False, message=str(exc))
    if request.command == "left-running":
        node = request.node
        try:
            await agent.change(lambda doc: doc_ops.set_node_attribute(
                doc, node, LEFT_RUNNING, request.resource or None, agent.node),
                f"{node} leaves in maintenance, running {request.resource or 'nothing'}")
        except ChangeRefusedError as exc:
            return control_pb2.CommandReply(ok=False, message=str(exc))
        return control_pb2.CommandReply(ok=True, message="recorded")
    if request.command == "shutdown":
        node = request.node
        if agent.state.config.node(node) is None:
            return control_pb2.CommandReply(ok=False, message=f"no node '{node}'")
        agent.leaving.add(node)
        agent.driver.request()
        agent.events.record("command", f"{node} is shutting down: its resources move away",
                            node=node)
        return control_pb2.CommandReply(ok=True, message=f"{node}'s resources move away")
    if request.command in ("fence", "fence-confirm"):
        return await _fence_command(agent, request)
    if request.command == "apply-config":
        outcome = await apply_config_text(agent, request.config_yaml,
                                          request.filename or "<forwarded>")
        return control_pb2.CommandReply(ok=outcome.applied, message=outcome.summary,
                                        consequences=outcome.consequences)
    driver = agent.driver
    try:
        config = agent.state.config

        def running_on(rid: str) -> list[str]:
            found = config.find(rid)
            return driver.resources.nodes_of(
                p.id for p in (iter_primitives(found) if found is not None else []))

        change, what = plan(config, request, agent.node, time.time(), running_on)
        message = await agent.change(change, what)
    except (CommandError, ChangeRefusedError) as exc:
        return control_pb2.CommandReply(ok=False, message=str(exc))
    if request.command == "cleanup":
        driver.forget_failures(request.resource, request.node or None)
        agent.spawn(driver.reprobe(request.resource, request.node or None))
    agent.events.record("command", message, command=request.command,
                        resource=request.resource, node=request.node)
    return control_pb2.CommandReply(ok=True, message=message,
                                    consequences=agent.last_consequences,
                                    transition=driver.number + 1)


async def _fence_command(agent: CommandHost,
                         request: control_pb2.CommandRequest) -> control_pb2.CommandReply:
    """hactl fence NODE (fence it now) and hactl fence confirm NODE (it is down)."""
    try:
        node = _node(agent.state.config, request.node)
    except CommandError as exc:
        return control_pb2.CommandReply(ok=False, message=str(exc))
    view = agent.membership.view
    if not view.quorate and agent.state.config.properties.no_quorum_policy != "ignore":
        return control_pb2.CommandReply(
            ok=False, message=f"this partition has no quorum ({view.votes} of "
            f"{view.expected_votes} votes): it may not fence, since the other side may "
            "be the one that keeps running")
    if request.command == "fence-confirm":
        if node in view.members:
            return control_pb2.CommandReply(
                ok=False, message=f"{node} is a member of the cluster (view {view.number}): "
                "it is up, so it cannot be confirmed down")
        message = await agent.fencing.confirm(node, "operator")
        agent.driver.request()
        return control_pb2.CommandReply(ok=True, message=message,
                                        consequences=agent.driver.consequences())
    if node == agent.node:
        return control_pb2.CommandReply(
            ok=False, message=f"{node} is the coordinator: fence it from another node "
            "(hactl --endpoint) or stop its agent first")
    ok, message = await agent.fencing.fence(node, reason="requested by an operator",
                                            requested_by="operator", manual=True)
    return control_pb2.CommandReply(ok=ok, message=message,
                                    consequences=agent.driver.consequences() if ok else [])


@dataclass(frozen=True)
class ApplyOutcome:
    applied: bool
    diff: str
    errors: bool
    reports_json: str
    summary: str
    consequences: tuple[str, ...] = ()


def _restart_needed(old: ClusterConfig, new: ClusterConfig) -> list[str]:
    """Membership settings that take effect only when each agent restarts."""
    return [name for name in ("nodes", "heartbeat", "peer", "quorum")
            if getattr(old, name) != getattr(new, name)]


async def apply_config_text(agent: CommandHost, text: str, filename: str,
                            dry_run: bool = False) -> ApplyOutcome:
    """Validate a new configuration, show the difference, and make it the cluster's
    (on the coordinator; from another node the text is forwarded to it)."""
    result = load_config_text(text, filename)
    if result.config is not None and result.config.fence_devices:
        result = LoadResult(result.config, (*result.reports,
                                            *await check_fence_devices(result.config, filename)))
    reports = json.dumps([r.as_json() for r in result.reports])
    current = agent.state.document.config_yaml
    diff = "".join(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                        "running", filename))
    errors = [r for r in result.reports if r.severity is Severity.ERROR]
    if result.config is None or errors:
        return ApplyOutcome(False, diff, True, reports,
                            f"{filename} has {len(errors)} error(s): nothing was applied")
    if result.config.name != agent.boot_config.name:
        return ApplyOutcome(False, diff, True, reports,
                            f"{filename} is for cluster '{result.config.name}', this is "
                            f"'{agent.boot_config.name}': nothing was applied")
    if not diff:
        return ApplyOutcome(False, "", False, reports, "no change")
    if dry_run:
        return ApplyOutcome(False, diff, False, reports, "dry run: nothing was applied")
    coordinator = agent.membership.view.coordinator
    if coordinator != agent.node:
        reply = await run_command(agent, control_pb2.CommandRequest(
            command="apply-config", config_yaml=text, filename=filename))
        return ApplyOutcome(reply.ok, diff, False, reports, reply.message,
                            tuple(reply.consequences))
    try:
        message = await agent.change(
            lambda doc: doc_ops.replace_config(doc, text, agent.node),
            f"configuration from {filename}")
    except ChangeRefusedError as exc:
        return ApplyOutcome(False, diff, False, reports, str(exc))
    later = _restart_needed(agent.boot_config, result.config)
    if later:
        message += (f"; the {', '.join(later)} settings take effect when each agent "
                    "restarts")
    return ApplyOutcome(True, diff, False, reports, message, tuple(agent.last_consequences))
