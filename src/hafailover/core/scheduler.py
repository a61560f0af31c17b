"""The placement engine: configuration + cluster state -> transition. Pure.

No clock, no I/O, no randomness: the same input always gives the same output, whatever
``PYTHONHASHSEED`` is (every iteration is over configuration order or sorted names).
The steps, each in its own module:

1. ``context``: which nodes can run resources, which must be fenced, which reported
   instances are real;
2. ``units`` and ``assign``: scores and placement, Pacemaker's rules;
   (including: a Mandatory order's ``then`` cannot start while its ``first`` cannot);
3. ``actions``: the ordered action graph and the summary of changes, with reasons.
"""

from __future__ import annotations

from hafailover.config.model import ClusterConfig
from hafailover.core.actions import GraphBuilder
from hafailover.core.assign import Assigner
from hafailover.core.context import build_context
from hafailover.core.scoring import ExplainedScores
from hafailover.core.state import ClusterState
from hafailover.core.transition import Assignment, Transition
from hafailover.core.units import build_units


def schedule(config: ClusterConfig, state: ClusterState) -> Transition:
    """The transition that brings ``state`` to what ``config`` asks for. A caller that
    cares about the time pauses the garbage collector around it
    (``hafailover.gc_pause``)."""
    ctx = build_context(config, state)
    units = build_units(config)
    assigner = Assigner(ctx, units)
    assigner.run()
    actions, changes = GraphBuilder(ctx, units, assigner.placed, assigner.promotion).build()
    assignments = tuple(
        Assignment(member, inst.node, inst.role)
        for unit in units
        for inst in assigner.placed[unit.id].instances
        for member in inst.members
    )
    notes = [*ctx.notes]
    notes.extend(f"{unit.id}: {assigner.placed[unit.id].reason}" for unit in units)
    return Transition(
        assignments=assignments,
        actions=actions,
        changes=changes,
        fenced=tuple(ctx.fence),
        scores=ExplainedScores(assigner.sheets, ctx.unavailable),
        notes=tuple(notes),
    )
