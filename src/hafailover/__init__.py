"""hafailover: a cluster failover manager.

Membership, quorum, placement, fencing and resource agents in one agent.
"""

__version__ = "0.1.0"
