"""The executor: runs resource agent actions (OCF and builtin) for the agent daemon.

See docs/executor.md. The pure parts (``ocf``, ``environment``, ``output``, ``failures``)
hold the rules; ``runner``, ``monitors`` and ``executor`` do the I/O through an
``ExecutorGateway``.
"""

from hafailover.executor.environment import CloneInstance, NotifyData, NotifyPeer, build_env
from hafailover.executor.executor import (
    Executor,
    ExecutorOptions,
    ProbeTarget,
    find_operation,
    netns_prefix,
)
from hafailover.executor.failures import (
    BanScope,
    DecisionKind,
    FailedOperation,
    FailTable,
    FailureDecision,
    decide,
    default_on_fail,
)
from hafailover.executor.ocf import ExecStatus, OcfExit, Recovery, Severity, classify
from hafailover.executor.ports import (
    Clock,
    Coordinator,
    ExecutorGateway,
    ProcessOutcome,
    ProcessRunner,
    SystemClock,
)
from hafailover.executor.results import Discovered, MonitorChange, OperationResult, ProbeResult
from hafailover.executor.runner import SubprocessRunner, system_gateway

__all__ = [
    "BanScope",
    "Clock",
    "CloneInstance",
    "Coordinator",
    "DecisionKind",
    "Discovered",
    "ExecStatus",
    "Executor",
    "ExecutorGateway",
    "ExecutorOptions",
    "FailTable",
    "FailedOperation",
    "FailureDecision",
    "MonitorChange",
    "NotifyData",
    "NotifyPeer",
    "OcfExit",
    "OperationResult",
    "ProbeResult",
    "ProbeTarget",
    "ProcessOutcome",
    "ProcessRunner",
    "Recovery",
    "Severity",
    "SubprocessRunner",
    "SystemClock",
    "build_env",
    "classify",
    "decide",
    "default_on_fail",
    "find_operation",
    "netns_prefix",
    "system_gateway",
]
