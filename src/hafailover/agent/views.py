"""A membership view as it travels on the peer channel, and back."""

from __future__ import annotations

from hafailover.membership.view import View
from hafailover.v1 import peer_pb2


def view_message(view: View, sender: str) -> peer_pb2.ViewMessage:
    return peer_pb2.ViewMessage(number=view.number, members=list(view.members),
                                coordinator=view.coordinator or "", quorate=view.quorate,
                                votes=view.votes, expected_votes=view.expected_votes,
                                from_node=sender)


def view_of(message: peer_pb2.ViewMessage) -> View:
    return View(number=message.number, members=tuple(message.members),
                coordinator=message.coordinator or None, quorate=message.quorate,
                votes=message.votes, expected_votes=message.expected_votes)
