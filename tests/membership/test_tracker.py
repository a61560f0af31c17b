"""Membership rules (``hafailover.membership.tracker``): one node's view of the cluster,
and a simulated cluster of them exchanging heartbeats, probes and published views."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.config.loader import load_config_text
from hafailover.config.model import ClusterConfig
from hafailover.core.quorum import has_quorum, online_votes
from hafailover.membership.detector import FailureDetector
from hafailover.membership.tracker import Membership, PeerState, Probe, Publish
from hafailover.membership.view import View, make_view

pytestmark = pytest.mark.tier0

INTERVAL = 0.1
DEAD_TIME = 0.5
SETTLED = DEAD_TIME  # a node started at 0.0 may make views from here on


def load(nodes: Sequence[tuple[str, int, int]], quorum: str = "") -> ClusterConfig:
    """A configuration of ``(name, id, votes)`` nodes at the default heartbeat timing."""
    lines = ["cluster: {name: tracker}", "nodes:"]
    lines += [f"  - {{name: {name}, id: {node_id}, votes: {votes}}}"
              for name, node_id, votes in nodes]
    lines.append(f"heartbeat: {{interval: {INTERVAL * 1000:.0f}ms, "
                 f"dead-time: {DEAD_TIME * 1000:.0f}ms}}")
    if quorum:
        lines.append(f"quorum: {quorum}")
    result = load_config_text("\n".join(lines) + "\n")
    assert result.config is not None, [r.message for r in result.reports]
    return result.config


THREE = load([("n1", 1, 1), ("n2", 2, 1), ("n3", 3, 1)])
# node ids out of name order, and one node with two votes (6 expected votes)
FIVE = load([("alpha", 40, 2), ("bravo", 10, 1), ("charlie", 30, 1), ("delta", 20, 1),
             ("echo", 50, 1)])
FIVE_BY_ID = ("bravo", "delta", "charlie", "alpha", "echo")
THREE_WAIT = load([("n1", 1, 1), ("n2", 2, 1), ("n3", 3, 1)], "{wait-for-all: true}")
TWO = load([("n1", 1, 1), ("n2", 2, 1)], "{two-node: true}")


def node(config: ClusterConfig, me: str, alive: Iterable[str] = (),
         start: float = 0.0) -> Membership:
    m = Membership(config, me, start)
    for peer in alive:
        m.alive(peer)
    return m


def published(outputs: list[Probe | Publish]) -> View:
    views = [o.view for o in outputs if isinstance(o, Publish)]
    assert len(views) == 1, outputs
    return views[0]


def formed(config: ClusterConfig, me: str) -> Membership:
    """``me`` after start, hearing every other node, holding the first view of all."""
    m = node(config, me, (n.name for n in config.nodes if n.name != me))
    coordinator = min(config.nodes, key=lambda n: n.node_id).name
    if coordinator == me:
        published(m.reconcile(SETTLED))
    else:
        view = make_view(config, [n.name for n in config.nodes], 1)
        assert m.receive_view(view, coordinator) is None
    return m


# --- settling, publishing, numbering ---------------------------------------------------


def test_nothing_is_published_during_dead_time_after_start() -> None:
    m = node(THREE, "n1", ["n2", "n3"], start=100.0)
    for now in (100.0, 100.1, 100.3, 100.4999):
        assert m.reconcile(now) == []
    assert m.view.number == 0 and m.view.members == ("n1",)
    view = published(m.reconcile(100.5))
    assert (view.number, view.members, view.coordinator) == (1, ("n1", "n2", "n3"), "n1")
    assert m.view == view


def test_a_node_that_hears_nobody_makes_a_view_of_itself_without_quorum() -> None:
    m = node(THREE, "n2")
    outputs = m.reconcile(SETTLED)
    assert outputs, ("a node alone after dead-time publishes nothing: its placeholder view "
                     "0 of itself equals the candidate view, so reconcile never makes view 1 "
                     "and the agent never adopts (logs, advertises) a view or quorum state")
    view = published(outputs)
    assert view.members == ("n2",) and view.coordinator == "n2"
    assert not view.quorate and (view.votes, view.expected_votes) == (1, 3)


def test_the_lowest_node_id_publishes_not_the_first_name() -> None:
    everyone = [n for n in FIVE_BY_ID if n != "bravo"]
    bravo = node(FIVE, "bravo", everyone)
    assert published(bravo.reconcile(SETTLED)).coordinator == "bravo"
    alpha = node(FIVE, "alpha", [n for n in FIVE_BY_ID if n != "alpha"])
    assert alpha.reconcile(SETTLED) == []
    assert alpha.coordinator() == "bravo"
    assert bravo.view.members == FIVE_BY_ID  # in node-id order


def test_the_first_view_is_numbered_above_every_number_heard_while_settling() -> None:
    m = node(THREE, "n1", ["n2", "n3"])
    m.heard_view_number(41)
    m.heard_view_number(17)
    assert published(m.reconcile(SETTLED)).number == 42


def test_an_unchanged_view_is_not_published_again() -> None:
    m = formed(THREE, "n1")
    for step in range(1, 20):
        assert m.reconcile(SETTLED + step * INTERVAL) == []
    m.alive("n2")  # heartbeats keep coming: nothing changes
    m.heard_view_number(m.view.number)
    assert m.reconcile(10.0) == []


def test_a_refusal_makes_the_coordinator_renumber_above_the_refusing_members_view() -> None:
    m = formed(THREE, "n1")
    first = m.view
    m.refused(57)
    again = published(m.reconcile(1.0))
    assert again.number == 58 and again.members == first.members
    assert m.reconcile(1.1) == []


def test_a_higher_number_heard_in_a_heartbeat_renumbers_the_coordinators_view() -> None:
    m = formed(THREE, "n1")
    m.heard_view_number(m.view.number + 5)
    assert published(m.reconcile(1.0)).number == 7


def test_view_numbers_only_grow_even_after_a_lower_number_is_heard() -> None:
    m = formed(THREE, "n1")
    m.heard_view_number(30)
    assert published(m.reconcile(1.0)).number == 31
    m.heard_view_number(3)
    m.left("n3")
    assert published(m.reconcile(1.1)).number == 32


def test_a_member_that_is_not_the_lowest_id_never_publishes() -> None:
    m = formed(THREE, "n2")
    held = m.view
    m.suspected("n3")
    m.probed("n3", answered=False)
    m.heard_view_number(90)
    m.refused(91)
    m.left("n3")
    m.alive("n3")
    for step in range(30):
        assert m.reconcile(SETTLED + step * INTERVAL) == [], "n1 is alive: n1 coordinates"
    assert m.view == held
    assert not m.is_coordinator


def test_a_member_takes_over_when_the_coordinator_is_lost() -> None:
    m = formed(THREE, "n2")
    assert m.suspected("n1") == [Probe("n1")]
    m.probed("n1", answered=False)
    view = published(m.reconcile(1.0))
    assert (view.members, view.coordinator, view.number) == (("n2", "n3"), "n2", 2)
    assert m.is_coordinator


# --- suspicion, probes, loss, leave ----------------------------------------------------


def test_a_silent_peer_is_probed_and_stays_in_the_view_meanwhile() -> None:
    m = formed(THREE, "n1")
    held = m.view
    assert m.suspected("n3") == [Probe("n3")]
    assert m.peers["n3"] is PeerState.SUSPECTED
    assert "n3" in m.members()
    assert m.reconcile(1.0) == []
    assert m.view == held


@pytest.mark.parametrize("state", ["unknown", "lost", "left", "not configured"])
def test_only_a_member_is_probed_when_silent(state: str) -> None:
    m = formed(THREE, "n1") if state != "unknown" else node(THREE, "n1", ["n2"])
    if state == "lost":
        m.suspected("n3")
        m.probed("n3", answered=False)
    elif state == "left":
        m.left("n3")
    target = "n9" if state == "not configured" else "n3"
    assert m.suspected(target) == []


def test_a_peer_that_answers_the_probe_stays_a_member_and_is_probed_again() -> None:
    m = formed(THREE, "n1")
    held = m.view
    m.suspected("n3")
    m.probed("n3", answered=True)
    assert m.peers["n3"] is PeerState.PROBE_ONLY
    assert m.members() == ("n1", "n2", "n3")
    assert m.reconcile(1.0) == [] and m.view == held
    assert m.probes_due() == [Probe("n3")]
    m.probed("n3", answered=True)
    assert m.probes_due() == [Probe("n3")] and m.reconcile(1.5) == []
    m.probed("n3", answered=False)
    assert m.probes_due() == []
    view = published(m.reconcile(2.0))
    assert view.members == ("n1", "n2") and view.number == held.number + 1


def test_only_peers_heard_over_the_peer_channel_alone_are_probed_again() -> None:
    m = formed(THREE, "n1")
    assert m.probes_due() == []
    m.suspected("n2")
    assert m.probes_due() == []  # the first probe is out already
    m.probed("n2", answered=True)
    m.alive("n2")  # its heartbeats came back
    assert m.probes_due() == []
    assert m.peers["n2"] is PeerState.ONLINE


def test_a_peer_that_does_not_answer_is_lost_and_left_out_of_a_new_view() -> None:
    m = formed(THREE, "n1")
    before = m.view
    m.suspected("n2")
    m.probed("n2", answered=False)
    assert m.peers["n2"] is PeerState.LOST
    view = published(m.reconcile(1.0))
    assert view.members == ("n1", "n3") and view.number == before.number + 1
    assert view.quorate  # 2 of 3


def test_a_late_probe_failure_does_not_lose_a_peer_whose_heartbeats_came_back() -> None:
    m = formed(THREE, "n1")
    m.suspected("n2")
    m.alive("n2")
    m.probed("n2", answered=False)
    assert m.peers["n2"] is PeerState.ONLINE
    assert m.reconcile(1.0) == []


def test_a_peer_that_said_goodbye_is_gone_at_once_without_a_probe() -> None:
    m = formed(THREE, "n1")
    m.left("n3")
    assert m.probes_due() == []
    view = published(m.reconcile(0.6))
    assert view.members == ("n1", "n2")
    m.probed("n3", answered=True)  # an answer to an older probe changes nothing
    assert m.peers["n3"] is PeerState.LEFT and m.reconcile(0.7) == []


def test_a_lost_peer_heard_again_is_in_the_next_view() -> None:
    m = formed(THREE, "n1")
    m.suspected("n3")
    m.probed("n3", answered=False)
    without = published(m.reconcile(1.0))
    m.alive("n3")
    back = published(m.reconcile(1.1))
    assert back.members == ("n1", "n2", "n3") and back.number == without.number + 1


# --- receiving a published view --------------------------------------------------------


def test_a_newer_view_from_its_coordinator_that_includes_this_node_is_adopted() -> None:
    m = formed(THREE, "n3")
    view = make_view(THREE, ["n1", "n3"], 5)
    assert m.receive_view(view, "n1") is None
    assert m.view == view
    assert m.receive_view(view, "n1") is None, "the same view again is acknowledged"


def test_a_view_from_a_node_outside_the_configuration_is_refused() -> None:
    m = formed(THREE, "n3")
    held = m.view
    reason = m.receive_view(make_view(THREE, ["n1", "n3"], 5), "n9")
    assert reason is not None and "n9 is not a peer" in reason
    assert m.view == held


def test_a_view_sent_by_another_node_than_its_coordinator_is_refused() -> None:
    m = formed(THREE, "n3")
    held = m.view
    reason = m.receive_view(make_view(THREE, THREE.node_names(), 5), "n2")
    assert reason == "n2 sent a view whose coordinator is n1"
    assert m.view == held


def test_a_view_that_leaves_this_node_out_is_refused() -> None:
    m = formed(THREE, "n3")
    held = m.view
    reason = m.receive_view(make_view(THREE, ["n1", "n2"], 5), "n1")
    assert reason == "view 5 does not include n3"
    assert m.view == held


def test_an_older_view_is_refused_and_so_is_another_view_of_the_same_number() -> None:
    m = formed(THREE, "n3")
    assert m.receive_view(make_view(THREE, ["n1", "n2", "n3"], 8), "n1") is None
    held = m.view
    older = m.receive_view(make_view(THREE, ["n1", "n3"], 7), "n1")
    assert older is not None and "already holds view 8" in older
    same_number = m.receive_view(make_view(THREE, ["n1", "n3"], 8), "n1")
    assert same_number is not None and "already holds view 8" in same_number
    assert m.view == held


def test_a_view_is_refused_while_this_node_sees_a_lower_id_node_alive() -> None:
    m = formed(THREE, "n3")
    view = make_view(THREE, ["n2", "n3"], 5)  # n2 lost n1, n3 still hears n1
    reason = m.receive_view(view, "n2")
    assert reason is not None and "sees n1 alive" in reason
    assert m.view.number == 1
    m.suspected("n1")
    m.probed("n1", answered=False)
    assert m.receive_view(view, "n2") is None
    assert m.view == view


def test_a_coordinator_refuses_a_view_of_a_higher_id_node() -> None:
    m = formed(THREE, "n1")
    reason = m.receive_view(make_view(THREE, ["n2", "n3"], 9), "n2")
    assert reason is not None
    assert m.receive_view(make_view(THREE, ["n1", "n2"], 9), "n2") is not None
    assert m.view.coordinator == "n1"


def test_a_refused_view_still_raises_the_number_of_the_next_view() -> None:
    m = formed(THREE, "n1")
    m.receive_view(make_view(THREE, ["n2", "n3"], 20), "n2")
    assert published(m.reconcile(1.0)).number == 21


def test_a_view_from_a_coordinator_not_heard_makes_it_a_member_reached_by_probes() -> None:
    m = node(THREE, "n3", ["n2"])
    assert m.receive_view(make_view(THREE, THREE.node_names(), 4), "n1") is None
    assert m.peers["n1"] is PeerState.PROBE_ONLY
    assert m.probes_due() == [Probe("n1")]
    assert m.coordinator() == "n1"


# --- quorum -----------------------------------------------------------------------------


def test_a_majority_of_nodes_is_quorate_and_a_minority_is_not() -> None:
    m = formed(THREE, "n1")
    assert m.view.quorate and (m.view.votes, m.view.expected_votes) == (3, 3)
    m.left("n2")
    assert published(m.reconcile(1.0)).quorate
    m.left("n3")
    alone = published(m.reconcile(1.1))
    assert not alone.quorate and alone.votes == 1


@pytest.mark.parametrize(("members", "votes", "quorate"), [
    (("bravo", "alpha"), 3, False),  # 3 of 6 is not more than half
    (("bravo", "alpha", "echo"), 4, True),
    (("bravo", "delta", "charlie", "echo"), 4, True),
    (("bravo", "delta", "charlie"), 3, False),
])
def test_quorum_follows_the_votes_not_the_node_count(members: tuple[str, ...], votes: int,
                                                      quorate: bool) -> None:
    m = node(FIVE, "bravo", [n for n in members if n != "bravo"])
    view = published(m.reconcile(SETTLED))
    assert (view.votes, view.expected_votes, view.quorate) == (votes, 6, quorate)


def test_wait_for_all_keeps_a_majority_without_quorum_until_every_node_was_seen() -> None:
    m = node(THREE_WAIT, "n1", ["n2"])
    first = published(m.reconcile(SETTLED))
    assert first.members == ("n1", "n2") and not first.quorate
    m.alive("n3")
    assert published(m.reconcile(1.0)).quorate
    m.suspected("n3")
    m.probed("n3", answered=False)
    after_loss = published(m.reconcile(1.1))
    assert after_loss.members == ("n1", "n2") and after_loss.quorate


def test_wait_for_all_needs_every_node_at_the_same_time() -> None:
    m = node(THREE_WAIT, "n1", ["n2"])
    m.suspected("n2")
    m.probed("n2", answered=False)
    m.alive("n3")
    assert not m.seen_all
    assert not published(m.reconcile(SETTLED)).quorate


def test_two_node_mode_is_quorate_alone_only_after_both_were_seen() -> None:
    cold = node(TWO, "n1")
    cold.reconcile(SETTLED)
    assert not cold.view.quorate
    m = node(TWO, "n1", ["n2"])
    assert published(m.reconcile(SETTLED)).quorate
    m.suspected("n2")
    m.probed("n2", answered=False)
    alone = published(m.reconcile(1.0))
    assert alone.members == ("n1",) and alone.quorate


# --- one node under random inputs ---------------------------------------------------------

NAMES5 = [n.name for n in FIVE.nodes]
single_input = st.one_of(
    st.tuples(st.sampled_from(["alive", "suspected", "left", "probes_due"]),
              st.sampled_from(NAMES5)),
    st.tuples(st.just("probed"), st.sampled_from(NAMES5), st.booleans()),
    st.tuples(st.sampled_from(["heard", "refused"]), st.integers(0, 60)),
    st.tuples(st.just("view"), st.sets(st.sampled_from(NAMES5)), st.integers(0, 60),
              st.sampled_from(NAMES5)),
    st.tuples(st.just("reconcile"), st.floats(0.0, 0.3)),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES5), st.lists(single_input, max_size=60))
def test_a_single_node_publishes_only_as_lowest_id_member_and_numbers_only_grow(
        me: str, inputs: list[tuple[object, ...]]) -> None:
    m = Membership(FIVE, me, 0.0)
    now, seen, held = 0.0, 0, 0
    for item in inputs:
        op = item[0]
        outputs: list[Probe | Publish] = []
        if op == "alive":
            m.alive(str(item[1]))
        elif op == "suspected":
            outputs = m.suspected(str(item[1]))
            assert all(isinstance(o, Probe) and o.node == item[1] for o in outputs)
        elif op == "left":
            m.left(str(item[1]))
        elif op == "probes_due":
            outputs = m.probes_due()
            assert all(m.peers[o.node] is PeerState.PROBE_ONLY for o in outputs
                       if isinstance(o, Probe))
        elif op == "probed":
            m.probed(str(item[1]), bool(item[2]))
        elif op in ("heard", "refused"):
            number = int(str(item[1]))
            (m.heard_view_number if op == "heard" else m.refused)(number)
            seen = max(seen, number)
        elif op == "view":
            members, number, sender = item[1], int(str(item[2])), str(item[3])
            assert isinstance(members, set)
            view = make_view(FIVE, members, number)
            seen = max(seen, number)
            if m.receive_view(view, sender) is None:
                assert view.coordinator == sender and me in view.members
                assert view.number >= held
        else:
            now += float(str(item[1]))
            outputs = m.reconcile(now)
            for output in outputs:
                assert isinstance(output, Publish)
                assert m.settled(now), "published while settling"
                assert m.coordinator() == me, "published without being the lowest id"
                assert output.view == m.view
                assert output.view.coordinator == me
                assert output.view.members == m.members()
                assert output.view.number > max(seen, held), "not above every number seen"
            if m.settled(now) and m.coordinator() == me:
                assert m.view.members == m.members()
                assert m.reconcile(now) == [], "published twice without a change"
        assert me in m.view.members
        assert m.view.number >= held, "a held view number went down"
        held = m.view.number
        seen = max(seen, held)


# --- a simulated cluster ------------------------------------------------------------------

LINK = "ring0"


@dataclass
class SimNode:
    """One agent: its membership rules, its failure detector and the daemon's bookkeeping
    (probes in flight, members that have not acknowledged the view)."""

    membership: Membership
    detector: FailureDetector
    probes: list[str] = field(default_factory=list)
    unconfirmed: set[str] = field(default_factory=set)
    last_probe_round: float = 0.0
    incarnation: int = 0
    heard_incarnations: dict[str, int] = field(default_factory=dict)


class Cluster:
    """Agents that exchange heartbeats every interval, probe over the peer channel and
    publish views to each other, as ``hafailover agent`` does; a partition cuts both the
    heartbeats and the peer channel between groups."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.names = [n.name for n in config.nodes]
        self.ids = {n.name: n.node_id for n in config.nodes}
        self.now = 0.0
        self.nodes: dict[str, SimNode] = {}
        self.group = dict.fromkeys(self.names, 0)
        self.down_since: dict[str, float] = {}
        self.last_number: dict[str, int] = {}  # per running node, to check monotony
        self.incarnations = 0

    # faults and operations
    def start(self, name: str) -> None:
        others = [n for n in self.names if n != name]
        self.incarnations += 1
        self.nodes[name] = SimNode(Membership(self.config, name, self.now),
                                   FailureDetector(others, [LINK], self.config.heartbeat
                                                   .dead_time), last_probe_round=self.now,
                                   incarnation=self.incarnations)
        self.last_number[name] = 0
        self.down_since.pop(name, None)

    def kill(self, name: str) -> None:
        if self.nodes.pop(name, None) is not None:
            self.down_since[name] = self.now

    def stop(self, name: str) -> None:
        """A clean stop: a goodbye on the heartbeat link to every peer it reaches."""
        if name not in self.nodes:
            return
        for peer in self.reachable(name):
            self.nodes[peer].detector.forget(name)
        self.kill(name)

    def partition(self, groups: Sequence[int]) -> None:
        self.group = dict(zip(self.names, groups, strict=True))

    def heal(self) -> None:
        self.group = dict.fromkeys(self.names, 0)

    def connected(self, a: str, b: str) -> bool:
        return a in self.nodes and b in self.nodes and self.group[a] == self.group[b]

    def reachable(self, name: str) -> list[str]:
        return [n for n in self.nodes if n != name and self.connected(name, n)]

    def components(self) -> list[list[str]]:
        found: dict[int, list[str]] = {}
        for name in self.nodes:
            found.setdefault(self.group[name], []).append(name)
        return [sorted(c, key=self.ids.__getitem__) for c in found.values()]

    # one interval of every agent
    def tick(self) -> None:
        self.now = round(self.now + INTERVAL, 6)
        for name, sim in self.nodes.items():  # heartbeats carry the sender's view number
            for sender in self.reachable(name):
                sim.detector.heard(sender, LINK, self.now)
                sim.membership.heard_view_number(self.nodes[sender].membership.view.number)
                incarnation = self.nodes[sender].incarnation
                known = sim.heard_incarnations.get(sender)
                sim.heard_incarnations[sender] = incarnation
                if known is not None and known != incarnation:  # the transport says so
                    sim.membership.restarted(sender)
        for name in list(self.nodes):
            self._agent_tick(name)
        for name, sim in self.nodes.items():
            number = sim.membership.view.number
            assert number >= self.last_number[name], f"{name}'s view number went down"
            self.last_number[name] = number

    def _agent_tick(self, name: str) -> None:
        sim = self.nodes[name]
        m = sim.membership
        for target in sim.probes:  # the probes sent last interval have their answer
            m.probed(target, answered=self.connected(name, target))
        sim.probes = []
        for event in sim.detector.changes(self.now):
            if event.kind == "alive":
                m.alive(event.node)
            elif event.kind == "suspected":
                sim.probes += [o.node for o in m.suspected(event.node) if isinstance(o, Probe)]
            elif event.kind == "left":
                m.left(event.node)
        if self.now - sim.last_probe_round >= DEAD_TIME - 1e-9:
            sim.last_probe_round = self.now
            sim.probes += [o.node for o in m.probes_due() if isinstance(o, Probe)]
        for output in m.reconcile(self.now):
            if isinstance(output, Publish):
                self._publish(name, output.view, None)
        if m.is_coordinator and sim.unconfirmed:
            self._publish(name, m.view, set(sim.unconfirmed))

    def _publish(self, name: str, view: View, only: set[str] | None) -> None:
        sim = self.nodes[name]
        for member in view.members:
            if member == name or (only is not None and member not in only):
                continue
            if not self.connected(name, member):
                sim.unconfirmed.add(member)
                continue
            receiver = self.nodes[member].membership
            if receiver.receive_view(view, name) is None:
                sim.unconfirmed.discard(member)
            else:
                sim.unconfirmed.add(member)
                sim.membership.refused(receiver.view.number)

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / INTERVAL)):
            self.tick()

    def views(self) -> dict[str, View]:
        return {name: sim.membership.view for name, sim in self.nodes.items()}


SETTLE = 4.0  # seconds: suspicion (dead time), probe, publication, with a wide margin
RESTART_GAP = 0.2  # seconds a node stays down before it is started again


def assert_converged(cluster: Cluster, before: dict[str, View]) -> None:
    views = cluster.views()
    for component in cluster.components():
        held = {views[n] for n in component}
        assert len(held) == 1, f"{component} hold different views: {held}"
        (view,) = held
        assert view.members == tuple(component), (
            f"connected nodes {component} hold a view of {view.members}")
        assert view.coordinator == component[0], "the coordinator is not the lowest id"
        prior = [before[n] for n in component if n in before]
        if prior:  # a new view is above all they held; an old one was the newest of them
            numbers = sorted(p.number for p in prior)
            if view in prior:
                assert view.number == numbers[-1], (
                    f"they settled on view {view.number} but one held {numbers}")
            else:
                assert view.number > numbers[-1], (
                    f"view {view.number} is not above every view held before: {numbers}")
        expected_quorate = has_quorum(cluster.config, component)
        if cluster.config.quorum.wait_for_all:
            expected_quorate &= cluster.nodes[component[0]].membership.seen_all
        assert view.quorate == expected_quorate
        assert view.votes == online_votes(cluster.config, component)
    quorate = [c for c in cluster.components() if views[c[0]].quorate]
    assert len(quorate) <= 1, f"two partitions have quorum: {quorate}"


def formed_cluster(config: ClusterConfig) -> Cluster:
    cluster = Cluster(config)
    for name in cluster.names:
        cluster.start(name)
    cluster.run(SETTLE)
    assert_converged(cluster, {})
    return cluster


def fault(names: Sequence[str]) -> st.SearchStrategy[tuple[object, ...]]:
    return st.one_of(
        st.tuples(st.sampled_from(["kill", "stop", "start"]), st.sampled_from(names)),
        st.tuples(st.just("partition"),
                  st.lists(st.integers(0, 2), min_size=len(names), max_size=len(names))),
        st.tuples(st.just("heal")),
        st.tuples(st.just("wait"), st.integers(1, 12)),
    )


def apply(cluster: Cluster, step: tuple[object, ...]) -> None:
    op = step[0]
    if op == "wait":
        cluster.run(int(str(step[1])) * INTERVAL)
    elif op == "partition":
        groups = step[1]
        assert isinstance(groups, list)
        cluster.partition(groups)
    elif op == "heal":
        cluster.heal()
    elif op == "start":
        name = str(step[1])
        if name in cluster.nodes:
            return
        while cluster.now - cluster.down_since.get(name, -RESTART_GAP) < RESTART_GAP - 1e-9:
            cluster.tick()
        cluster.start(name)
    else:
        (cluster.kill if op == "kill" else cluster.stop)(str(step[1]))


def run_faults(config: ClusterConfig, steps: list[tuple[object, ...]]) -> None:
    cluster = formed_cluster(config)
    for step in steps:
        apply(cluster, step)
    before = cluster.views()
    cluster.run(SETTLE)
    assert_converged(cluster, before)


@settings(max_examples=150, deadline=None)
@given(st.lists(fault(THREE.node_names()), max_size=25))
def test_three_nodes_converge_after_any_kills_stops_partitions_and_heals(
        steps: list[tuple[object, ...]]) -> None:
    run_faults(THREE, steps)


@settings(max_examples=150, deadline=None)
@given(st.lists(fault(FIVE.node_names()), max_size=25))
def test_five_weighted_nodes_converge_after_any_kills_stops_partitions_and_heals(
        steps: list[tuple[object, ...]]) -> None:
    run_faults(FIVE, steps)


@settings(max_examples=100, deadline=None)
@given(st.lists(fault(THREE_WAIT.node_names()), max_size=20))
def test_wait_for_all_nodes_converge_and_stay_quorate_once_all_were_seen(
        steps: list[tuple[object, ...]]) -> None:
    run_faults(THREE_WAIT, steps)


def test_merging_partitions_make_a_view_above_both_sides() -> None:
    cluster = formed_cluster(FIVE)
    cluster.partition([0, 1, 0, 1, 0])  # alpha, charlie, echo | bravo, delta
    cluster.run(SETTLE)
    views = cluster.views()
    assert views["alpha"].coordinator == "charlie" and views["alpha"].quorate  # 4 of 6
    assert views["bravo"].members == ("bravo", "delta") and not views["bravo"].quorate
    before = cluster.views()
    cluster.heal()
    cluster.run(SETTLE)
    assert_converged(cluster, before)
    assert cluster.views()["echo"].members == FIVE_BY_ID


@pytest.mark.parametrize("down", [0.1, 0.3])
def test_a_member_restarted_within_the_dead_time_gets_the_current_view(down: float) -> None:
    """A member whose agent restarts faster than the dead time is never suspected; its new
    incarnation (seen in its heartbeats) makes the coordinator publish a new view."""
    cluster = formed_cluster(THREE)
    current = cluster.views()["n1"]
    cluster.kill("n3")
    cluster.run(down)
    cluster.start("n3")
    cluster.run(SETTLE)
    views = cluster.views()
    assert views["n1"].members == current.members and views["n1"].number > current.number
    assert views["n3"] == views["n1"], (
        f"n3 restarted after {down}s holds view {views['n3'].number} "
        f"({views['n3'].members}) while n1 holds view {views['n1'].number} "
        f"({views['n1'].members}): the coordinator's view did not change, so nothing "
        "publishes it to the restarted member (tracker: reconcile only publishes on a "
        "change of members or a higher number heard)")
