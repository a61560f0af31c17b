"""Protocol versions and the compatibility rule, said in words on both sides. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from hafailover import __version__

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    software: str


LOCAL = Version(PROTOCOL_MAJOR, PROTOCOL_MINOR, f"hafailover {__version__}")


def compatibility(local_node: str, local: Version, peer_node: str,
                  peer: Version) -> str | None:
    """None when the two can talk; otherwise the sentence both sides log and show.

    Same major version: compatible (minor versions only add fields older nodes ignore).
    """
    if peer.major == local.major:
        return None
    newer, older = (peer_node, local_node) if peer.major > local.major else (local_node,
                                                                                peer_node)
    return (f"{peer_node} runs protocol {peer.major} ({peer.software}), this node "
            f"{local_node} runs protocol {local.major} ({local.software}): upgrade {older} "
            f"to the version {newer} runs, one node at a time")
