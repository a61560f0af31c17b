"""hafailover: a cluster failover manager (membership, quorum, placement, fencing, resource agents)."""

__version__ = "0.1.0"
