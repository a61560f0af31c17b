"""The placement engine: configuration + cluster state -> transition. Pure."""

from __future__ import annotations

from hafailover.config.model import ClusterConfig
from hafailover.core.state import ClusterState
from hafailover.core.transition import Transition


def schedule(config: ClusterConfig, state: ClusterState) -> Transition:
    raise NotImplementedError("the scheduler is being written")
