"""Configuration-time checks of fence devices against their agents' own metadata.

A device whose parameters its agent does not know, or that lacks one the agent
requires, would only fail at the worst moment: when a node must be fenced. So
``hafailover validate`` and every configuration change run each agent's ``metadata``
action and report problems with the file's key path.
"""

from __future__ import annotations

import asyncio

from hafailover.config.model import ClusterConfig
from hafailover.fencing.agents import FenceAgentError, check_device, read_metadata
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity


async def check_fence_devices(config: ClusterConfig, filename: str | None = None,
                              ) -> list[Report]:
    """Errors for devices whose parameters do not fit their agent; a warning for an
    agent that cannot be found or run here (it may be installed on the nodes only)."""
    async def one(index: int) -> list[Report]:
        device = config.fence_devices[index]
        path = f"fencing.devices[{index}]"
        try:
            metadata = await read_metadata(device.agent)
        except FenceAgentError as exc:
            return [Report(Code.CONFIG_FENCE_AGENT, Severity.WARNING,
                           f"cannot read the metadata of fence agent '{device.agent}': {exc}",
                           file=filename, path=f"{path}.agent", found=device.agent,
                           hint="install the agent on every node (Debian: fence-agents)")]
        return [Report(Code.CONFIG_FENCE_PARAMS, Severity.ERROR, problem, file=filename,
                       path=f"{path}.params", found=device.agent)
                for problem in check_device(device, metadata)]

    found = await asyncio.gather(*(one(i) for i in range(len(config.fence_devices))))
    return [report for reports in found for report in reports]
