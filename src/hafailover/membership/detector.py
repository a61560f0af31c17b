"""Failure detection from heartbeat arrival times. Pure: time is passed in.

A link of a peer is up while a heartbeat arrived on it within ``dead_time``; a peer is
suspected when every link is down. Losing one of several links is a warning, not a
node loss. ``changes`` reports each transition once, with a sentence for the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DetectorEvent:
    kind: str  # "link-down", "link-up", "suspected", "left", "alive", "restarted"
    node: str
    link: str | None
    message: str


class FailureDetector:
    def __init__(self, peers: Iterable[str], links: Sequence[str], dead_time: float) -> None:
        self.links = tuple(links)
        self.dead_time = dead_time
        self._last: dict[tuple[str, str], float] = {}
        self._peers = tuple(peers)
        self._link_up: dict[tuple[str, str], bool] = {}
        self._alive: dict[str, bool] = {}
        self._left: set[str] = set()

    def heard(self, node: str, link: str, now: float) -> None:
        self._last[(node, link)] = now
        self._left.discard(node)

    def forget(self, node: str) -> None:
        """The peer said goodbye: it is gone at once, and it left cleanly."""
        for link in self.links:
            self._last.pop((node, link), None)
        self._left.add(node)

    def last_heard(self, node: str) -> float | None:
        times = [self._last[(node, link)] for link in self.links if (node, link) in self._last]
        return max(times) if times else None

    def link_up(self, node: str, link: str, now: float) -> bool:
        last = self._last.get((node, link))
        return last is not None and now - last <= self.dead_time

    def alive(self, node: str, now: float) -> bool:
        return any(self.link_up(node, link, now) for link in self.links)

    def late_peers(self, now: float, after: float, until: float) -> list[str]:
        """Peers heard before and silent on every link for more than ``after`` seconds
        but not more than ``until``: late, not yet given up on (a peer that left is
        never late)."""
        late = []
        for node in self._peers:
            last = self.last_heard(node)
            if last is not None and after < now - last <= until:
                late.append(node)
        return late

    def alive_peers(self, now: float) -> set[str]:
        return {p for p in self._peers if self.alive(p, now)}

    def changes(self, now: float) -> list[DetectorEvent]:
        """Transitions since the last call: links going down or up, peers lost or back."""
        events: list[DetectorEvent] = []
        for node in self._peers:
            for link in self.links:
                up = self.link_up(node, link, now)
                was = self._link_up.get((node, link))
                if was is not None and was != up and len(self.links) > 1:
                    others = [lk for lk in self.links if lk != link
                              and self.link_up(node, lk, now)]
                    if not up:
                        tail = (f"; still reachable over {', '.join(others)}" if others
                                else "")
                        events.append(DetectorEvent(
                            "link-down", node, link,
                            f"no heartbeat from {node} on link {link} for more than "
                            f"{self.dead_time * 1000:.0f} ms{tail}"))
                    else:
                        events.append(DetectorEvent("link-up", node, link,
                                                    f"heartbeats from {node} on link {link} "
                                                    "again"))
                self._link_up[(node, link)] = up
            alive = self.alive(node, now)
            was_alive = self._alive.get(node)
            if was_alive is True and not alive and node in self._left:
                events.append(DetectorEvent("left", node, None,
                                            f"{node} left the cluster cleanly"))
            elif was_alive is True and not alive:
                last = self.last_heard(node)
                ago = f"{(now - last) * 1000:.0f} ms ago" if last is not None else "never"
                events.append(DetectorEvent(
                    "suspected", node, None,
                    f"{node} suspected: no heartbeat on any link (last {ago}, "
                    f"dead time {self.dead_time * 1000:.0f} ms)"))
            elif was_alive is not True and alive:
                events.append(DetectorEvent("alive", node, None, f"heartbeats from {node}"))
            self._alive[node] = alive
        return events
