"""The agent daemon: the I/O shell that joins membership, replication, scheduling and the
executor on one node (``hafailover agent``)."""
