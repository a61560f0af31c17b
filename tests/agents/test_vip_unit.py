"""builtin:vip without a kernel: parameters, findif, meta-data, frames, and the actions
against a fake host that records what was asked of it."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from hafailover.agents import vip
from hafailover.agents.addresses import (
    IFA_F_DADFAILED,
    InterfaceAddress,
    IPAddress,
    IPInterface,
    Link,
    Placement,
    PlacementProblem,
    find_interface,
    link_is_up,
)

pytestmark = pytest.mark.tier0


def addr(ifname: str, cidr: str, flags: int = 0) -> InterfaceAddress:
    return InterfaceAddress(ifname, ipaddress.ip_interface(cidr), flags=flags)


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def env(**params: str) -> dict[str, str]:
    return {f"OCF_RESKEY_{name}": value for name, value in params.items()}


# --- parameters ---------------------------------------------------------------------------

def test_minimal_ipv4_parameters_get_the_documented_defaults() -> None:
    params, problems = vip.parse_params(env(ip="192.168.10.100"))
    assert problems == []
    assert params == vip.Params(ip=ip("192.168.10.100"))
    assert (params.arp_count, params.arp_interval, params.arp_refresh) == (5, 200, 0)


def test_ipv6_parameters_with_prefix_and_lifetime() -> None:
    params, problems = vip.parse_params(env(ip="fd00::100", cidr_netmask="64",
                                            preferred_lft="0"))
    assert problems == []
    assert params is not None
    assert (params.cidr_netmask, params.preferred_lft) == (64, 0)


def test_missing_ip_is_reported() -> None:
    params, problems = vip.parse_params({})
    assert params is None
    assert [p.text() for p in problems] == ["ip: is required"]


@pytest.mark.parametrize(("value", "words"), [
    ("10.0.0.300", "not an IPv4 or IPv6 address"),
    ("banana", "not an IPv4 or IPv6 address"),
    ("224.0.0.5", "multicast"),
    ("127.0.0.2", "loopback"),
    ("::", "unspecified"),
])
def test_unusable_ip_is_rejected_with_the_reason(value: str, words: str) -> None:
    _, problems = vip.parse_params(env(ip=value))
    assert len(problems) == 1
    assert problems[0].param == "ip"
    assert words in problems[0].message


def test_dotted_ipv4_netmask_becomes_a_prefix_length() -> None:
    params, _ = vip.parse_params(env(ip="192.168.10.100", cidr_netmask="255.255.255.0"))
    assert params is not None and params.cidr_netmask == 24


@pytest.mark.parametrize(("address", "netmask"), [
    ("192.168.10.100", "33"), ("192.168.10.100", "0"), ("fd00::1", "129"),
    ("fd00::1", "255.255.255.0"), ("192.168.10.100", "255.0.255.0"), ("192.168.10.100", "x"),
])
def test_bad_prefix_is_rejected(address: str, netmask: str) -> None:
    _, problems = vip.parse_params(env(ip=address, cidr_netmask=netmask))
    assert [p.param for p in problems] == ["cidr_netmask"]


def test_every_problem_is_reported_together() -> None:
    _, problems = vip.parse_params(env(ip="fd00::1", label="eth0:vip", arp_count="-1",
                                       arp_interval="fast", run_dir="relative",
                                       nic="a/b"))
    assert sorted(p.param for p in problems) == [
        "arp_count", "arp_interval", "label", "nic", "run_dir"]


def test_label_must_begin_with_the_interface_name() -> None:
    _, problems = vip.parse_params(env(ip="192.168.10.100", nic="eth0", label="eth1:vip"))
    assert [p.param for p in problems] == ["label"]
    _, problems = vip.parse_params(env(ip="192.168.10.100", nic="eth0", label="eth0:vip"))
    assert problems == []


def test_preferred_lft_is_ipv6_only() -> None:
    _, problems = vip.parse_params(env(ip="192.168.10.100", preferred_lft="0"))
    assert [p.param for p in problems] == ["preferred_lft"]


def test_empty_values_count_as_unset() -> None:
    params, problems = vip.parse_params(env(ip="192.168.10.100", nic="", arp_count=""))
    assert problems == []
    assert params is not None and params.nic is None and params.arp_count == 5


# --- findif -------------------------------------------------------------------------------

LAN = [addr("lo", "127.0.0.1/8"), addr("eth0", "192.168.10.5/24"),
       addr("eth1", "10.1.0.5/16"), addr("eth0", "fe80::1/64"), addr("eth0", "fd00::5/64")]


def test_findif_picks_the_interface_with_an_address_in_the_subnet() -> None:
    placement = find_interface(ip("192.168.10.100"), LAN)
    assert isinstance(placement, Placement)
    assert (placement.ifname, placement.prefixlen) == ("eth0", 24)
    assert "192.168.10.5/24" in placement.reason


def test_findif_keeps_an_explicit_prefix() -> None:
    placement = find_interface(ip("192.168.10.100"), LAN, prefixlen=32)
    assert isinstance(placement, Placement) and placement.prefixlen == 32


def test_findif_prefers_the_most_specific_subnet() -> None:
    addresses = [*LAN, addr("eth2", "10.1.2.1/24")]
    placement = find_interface(ip("10.1.2.100"), addresses)
    assert isinstance(placement, Placement)
    assert (placement.ifname, placement.prefixlen) == ("eth2", 24)


def test_findif_refuses_to_guess_between_two_equal_interfaces() -> None:
    addresses = [*LAN, addr("eth2", "192.168.10.6/24")]
    problem = find_interface(ip("192.168.10.100"), addresses)
    assert isinstance(problem, PlacementProblem)
    assert "eth0, eth2" in problem.reason and "set nic" in problem.reason


def test_findif_without_a_matching_subnet_says_what_to_set() -> None:
    problem = find_interface(ip("172.16.0.1"), LAN)
    assert isinstance(problem, PlacementProblem)
    assert "no interface" in problem.reason and "nic" in problem.reason


def test_findif_does_not_let_the_vip_vouch_for_itself() -> None:
    problem = find_interface(ip("172.16.0.1"), [*LAN, addr("eth0", "172.16.0.1/24")])
    assert isinstance(problem, PlacementProblem)


def test_findif_with_nic_only_looks_at_that_interface() -> None:
    problem = find_interface(ip("192.168.10.100"), LAN, nic="eth1")
    assert isinstance(problem, PlacementProblem) and "cidr_netmask" in problem.reason
    placement = find_interface(ip("192.168.10.100"), LAN, nic="eth1", prefixlen=24)
    assert isinstance(placement, Placement) and placement.ifname == "eth1"


def test_findif_ipv6_ignores_link_local_addresses_for_a_global_vip() -> None:
    placement = find_interface(ip("fd00::100"), LAN)
    assert isinstance(placement, Placement)
    assert (placement.ifname, placement.prefixlen) == ("eth0", 64)
    only_link_local = [addr("eth0", "fe80::1/64")]
    assert isinstance(find_interface(ip("fd00::100"), only_link_local), PlacementProblem)
    assert isinstance(find_interface(ip("fe80::100"), only_link_local), Placement)


@pytest.mark.parametrize(("admin_up", "operstate", "carrier", "up"), [
    (True, "UP", True, True),
    (True, "UNKNOWN", True, True),
    (True, "UNKNOWN", False, False),
    (True, "LOWERLAYERDOWN", False, False),
    (True, "DOWN", False, False),
    (False, "UP", True, False),
])
def test_link_is_up(admin_up: bool, operstate: str, carrier: bool, up: bool) -> None:
    assert link_is_up(Link("eth0", 2, "02:00:00:00:00:01", admin_up, operstate, carrier)) is up


# --- meta-data ----------------------------------------------------------------------------

def test_metadata_is_well_formed_and_lists_every_parameter_and_action() -> None:
    root = ET.fromstring(vip.metadata())
    assert root.tag == "resource-agent" and root.get("name") == "vip"
    assert root.findtext("version") == "1.1"
    params = {p.get("name"): p for p in root.iter("parameter")}
    assert list(params) == [spec.name for spec in vip.PARAMETERS]
    assert params["ip"].get("required") == "1"
    defaults = {name: p.find("content").get("default")  # type: ignore[union-attr]
                for name, p in params.items()}
    assert defaults["arp_count"] == "5" and defaults["arp_interval"] == "200"
    assert defaults["arp_refresh"] == "0" and defaults["preferred_lft"] == "forever"
    assert {a.get("name") for a in root.iter("action")} == {
        "start", "stop", "monitor", "validate-all", "meta-data", "usage"}


def test_main_prints_metadata_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert vip.main(["meta-data"], {}) == vip.OCF_SUCCESS
    assert capsys.readouterr().out.startswith("<?xml")
    assert vip.main(["usage"], {}) == vip.OCF_SUCCESS
    assert "start|stop|monitor" in capsys.readouterr().out


def test_main_without_an_action_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert vip.main([], {}) == vip.OCF_ERR_ARGS
    assert "ocf-exit-reason:" in capsys.readouterr().err


def test_main_with_an_unknown_action_is_unimplemented(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert vip.main(["promote"], {}) == vip.OCF_ERR_UNIMPLEMENTED
    assert "ocf-exit-reason:action 'promote' is not implemented" in capsys.readouterr().err


# --- frames -------------------------------------------------------------------------------

MAC = "02:00:00:00:00:0a"


def test_gratuitous_arp_has_request_and_reply_forms_for_the_vip() -> None:
    from hafailover.agents.neighbour import announcement

    request, reply = announcement(MAC, "192.168.10.100")
    for frame in (request, reply):
        assert frame.dst == "ff:ff:ff:ff:ff:ff" and frame.src == MAC
        arp = frame.payload
        assert (arp.psrc, arp.pdst, arp.hwsrc) == ("192.168.10.100", "192.168.10.100", MAC)
    assert (request.payload.op, request.payload.hwdst) == (1, "00:00:00:00:00:00")
    assert (reply.payload.op, reply.payload.hwdst) == (2, MAC)


def test_unsolicited_na_overrides_and_carries_the_link_layer_address() -> None:
    from hafailover.agents.neighbour import announcement

    (frame,) = announcement(MAC, "fd00::100")
    ipv6 = frame.payload
    na = ipv6.payload
    assert frame.dst == "33:33:00:00:00:01" and frame.src == MAC
    assert (ipv6.src, ipv6.dst, ipv6.hlim) == ("fd00::100", "ff02::1", 255)
    assert (na.type, na.tgt, na.O, na.S, na.R) == (136, "fd00::100", 1, 0, 0)
    assert na.payload.type == 2 and na.payload.lladdr == MAC


# --- actions against a fake host ----------------------------------------------------------

@dataclass
class FakeHost:
    addrs: list[InterfaceAddress] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    clock: float = 1000.0
    announced: list[tuple[str, str, int]] = field(default_factory=list)
    recorded: dict[str, float] = field(default_factory=dict)
    fail_announce: bool = False

    def addresses(self) -> list[InterfaceAddress]:
        return list(self.addrs)

    def link(self, ifname: str) -> Link | None:
        return self.links.get(ifname)

    def add_address(self, link: Link, interface: IPInterface, *, label: str,
                    preferred_lft: int | None) -> bool:
        if any(a.ip == interface.ip for a in self.addrs):
            return False
        self.addrs.append(InterfaceAddress(link.ifname, interface, label))
        return True

    def remove_address(self, link: Link, interface: IPInterface) -> bool:
        before = len(self.addrs)
        self.addrs = [a for a in self.addrs
                      if not (a.ifname == link.ifname and a.interface == interface)]
        return len(self.addrs) < before

    def announce(self, link: Link, ip: IPAddress, *, count: int, interval_ms: int) -> int:
        if self.fail_announce:
            raise OSError(100, "Network is down")
        self.announced.append((link.ifname, str(ip), count))
        return count * 2

    def now(self) -> float:
        return self.clock

    def last_announced(self, run_dir: str, ip: IPAddress) -> float | None:
        return self.recorded.get(str(ip))

    def record_announced(self, run_dir: str, ip: IPAddress, when: float) -> None:
        self.recorded[str(ip)] = when

    def forget_announced(self, run_dir: str, ip: IPAddress) -> None:
        self.recorded.pop(str(ip), None)


def lan_host() -> FakeHost:
    return FakeHost(addrs=[addr("eth0", "192.168.10.5/24"), addr("eth0", "fd00::5/64")],
                    links={"eth0": Link("eth0", 2, MAC, True, "UP", True)})


def vip_params(**changes: object) -> vip.Params:
    return replace(vip.Params(ip=ip("192.168.10.100")), **changes)  # type: ignore[arg-type]


def test_start_adds_the_address_in_the_found_subnet_and_announces_it() -> None:
    host = lan_host()
    outcome = vip.start(vip_params(), host)
    assert outcome.rc == vip.OCF_SUCCESS
    assert addr("eth0", "192.168.10.100/24") in host.addrs
    assert host.announced == [("eth0", "192.168.10.100", 5)]
    assert "added 192.168.10.100/24 to eth0" in outcome.reason


def test_start_when_already_there_succeeds_and_still_announces() -> None:
    host = lan_host()
    vip.start(vip_params(), host)
    outcome = vip.start(vip_params(), host)
    assert outcome.rc == vip.OCF_SUCCESS and "already on eth0" in outcome.reason
    assert len(host.announced) == 2
    assert sum(a.ip == ip("192.168.10.100") for a in host.addrs) == 1


def test_start_with_arp_count_zero_announces_nothing() -> None:
    host = lan_host()
    assert vip.start(vip_params(arp_count=0), host).rc == vip.OCF_SUCCESS
    assert host.announced == []


def test_start_on_a_down_link_fails_without_adding() -> None:
    host = lan_host()
    host.links["eth0"] = Link("eth0", 2, MAC, True, "LOWERLAYERDOWN", False)
    outcome = vip.start(vip_params(), host)
    assert outcome.rc == vip.OCF_ERR_GENERIC and "link is down" in outcome.reason
    assert not any(a.ip == ip("192.168.10.100") for a in host.addrs)


def test_start_outside_every_subnet_is_a_configuration_error() -> None:
    outcome = vip.start(vip_params(ip=ip("172.16.0.1")), lan_host())
    assert outcome.rc == vip.OCF_ERR_CONFIGURED and "no interface" in outcome.reason


def test_start_on_a_missing_nic_is_a_configuration_error() -> None:
    outcome = vip.start(vip_params(nic="eth9", cidr_netmask=24), lan_host())
    assert outcome.rc == vip.OCF_ERR_CONFIGURED
    assert "eth9 does not exist" in outcome.reason


def test_start_reports_a_failed_announcement() -> None:
    host = lan_host()
    host.fail_announce = True
    outcome = vip.start(vip_params(), host)
    assert outcome.rc == vip.OCF_ERR_GENERIC and "announcement failed" in outcome.reason


def test_stop_removes_the_address_and_is_idempotent() -> None:
    host = lan_host()
    vip.start(vip_params(), host)
    assert vip.stop(vip_params(), host).rc == vip.OCF_SUCCESS
    assert not any(a.ip == ip("192.168.10.100") for a in host.addrs)
    outcome = vip.stop(vip_params(), host)
    assert outcome.rc == vip.OCF_SUCCESS and "nothing to stop" in outcome.reason


def test_monitor_reports_running_stopped_and_link_down() -> None:
    host = lan_host()
    assert vip.monitor(vip_params(), host).rc == vip.OCF_NOT_RUNNING
    vip.start(vip_params(), host)
    assert vip.monitor(vip_params(), host).rc == vip.OCF_SUCCESS
    host.links["eth0"] = Link("eth0", 2, MAC, True, "LOWERLAYERDOWN", False)
    outcome = vip.monitor(vip_params(), host)
    assert outcome.rc == vip.OCF_ERR_GENERIC
    assert "link is down" in outcome.reason and "no carrier" in outcome.reason


def test_monitor_reports_a_failed_duplicate_address_detection() -> None:
    host = lan_host()
    host.addrs.append(addr("eth0", "fd00::100/64", flags=IFA_F_DADFAILED))
    outcome = vip.monitor(vip_params(ip=ip("fd00::100")), host)
    assert outcome.rc == vip.OCF_ERR_GENERIC and "duplicate" in outcome.reason


def test_monitor_only_counts_the_address_on_the_given_nic() -> None:
    host = lan_host()
    vip.start(vip_params(), host)
    assert vip.monitor(vip_params(nic="eth1"), host).rc == vip.OCF_NOT_RUNNING


def test_monitor_re_announces_when_the_last_announcement_is_older_than_arp_refresh() -> None:
    host = lan_host()
    params = vip_params(arp_refresh=60)
    vip.start(params, host)
    assert host.recorded == {"192.168.10.100": 1000.0}
    host.clock = 1030.0
    assert "last announced 30 s ago" in vip.monitor(params, host).reason
    assert len(host.announced) == 1
    host.clock = 1061.0
    assert vip.monitor(params, host, probe=True).rc == vip.OCF_SUCCESS
    assert len(host.announced) == 1  # probes only look
    outcome = vip.monitor(params, host)
    assert outcome.rc == vip.OCF_SUCCESS and "re-announced" in outcome.reason
    assert len(host.announced) == 2 and host.recorded["192.168.10.100"] == 1061.0


def test_monitor_keeps_running_when_the_refresh_fails() -> None:
    host = lan_host()
    params = vip_params(arp_refresh=1)
    vip.start(params, host)
    host.clock += 5
    host.fail_announce = True
    outcome = vip.monitor(params, host)
    assert outcome.rc == vip.OCF_SUCCESS and "refreshing the announcement failed" in outcome.reason


def test_run_rejects_bad_parameters_as_not_configured() -> None:
    outcome = vip.run("start", env(ip="10.0.0.999"), lan_host())
    assert outcome.rc == vip.OCF_ERR_CONFIGURED and "ip:" in outcome.reason
    assert vip.run("monitor", env(ip="10.0.0.999"), lan_host()).rc == vip.OCF_ERR_CONFIGURED


def test_stop_succeeds_with_an_impossible_ip_and_ignores_broken_options() -> None:
    assert vip.run("stop", env(ip="10.0.0.999"), lan_host()).rc == vip.OCF_SUCCESS
    host = lan_host()
    vip.start(vip_params(), host)
    outcome = vip.run("stop", env(ip="192.168.10.100", arp_count="lots"), host)
    assert outcome.rc == vip.OCF_SUCCESS and "removed" in outcome.reason
    assert not any(a.ip == ip("192.168.10.100") for a in host.addrs)


def test_validate_all_says_where_the_vip_would_go() -> None:
    outcome = vip.run("validate-all", env(ip="fd00::100"), lan_host())
    assert outcome.rc == vip.OCF_SUCCESS
    assert "fd00::100/64 goes on eth0" in outcome.reason


def test_announcement_time_survives_in_run_dir_until_stop_forgets_it(tmp_path: Path) -> None:
    host = vip.SystemHost()
    run_dir = str(tmp_path / "vip")  # created on first use
    assert host.last_announced(run_dir, ip("fd00::100")) is None
    host.record_announced(run_dir, ip("fd00::100"), 1234.5)
    assert host.last_announced(run_dir, ip("fd00::100")) == 1234.5
    assert host.last_announced(run_dir, ip("fd00::101")) is None
    host.forget_announced(run_dir, ip("fd00::100"))
    host.forget_announced(run_dir, ip("fd00::100"))  # twice is fine
    assert host.last_announced(run_dir, ip("fd00::100")) is None
