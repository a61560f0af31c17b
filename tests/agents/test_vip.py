"""builtin:vip on real interfaces: a bridge, two nodes and a client in network namespaces.

    client (.10 / ::10) ──┐
    n1     (.1  / ::1)  ──┼── br0 in the switch namespace
    n2     (.2  / ::2)  ──┘          VIP: 10.77.0.100 / fd00::100

The agent runs inside the node namespaces with ``ip netns exec``, exactly as the executor
runs it. The failover tests check what a client sees: which MAC its neighbour entry for the
VIP holds, without it sending anything to the VIP.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from hafailover.lab.netns import Netns, add_bridge, connect, namespace

pytestmark = pytest.mark.tier1

REPO = Path(__file__).resolve().parents[2]
WRAPPER = REPO / "resource_agents" / "vip"
SUBNETS = {4: ("10.77.0.{}/24", "10.77.0.100"), 6: ("fd00::{}/64", "fd00::100")}
HOSTS = {"n1": 1, "n2": 2, "client": 10}
TAKEOVER_POLL_S = 2.0
REACH = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], 9), timeout=2).close()
except ConnectionRefusedError:
    pass
except OSError:
    sys.exit(1)
"""

if os.geteuid() != 0 or shutil.which("ip") is None:
    pytest.skip("needs root and iproute2 for network namespaces", allow_module_level=True)


@dataclass(frozen=True)
class Lab:
    n1: Netns
    n2: Netns
    client: Netns
    switch: Netns
    macs: dict[str, str]
    run_dir: str

    def agent(self, ns: Netns, action: str, family: int,
              **params: str) -> subprocess.CompletedProcess[str]:
        """Run the agent in ``ns`` with the VIP of ``family`` and OCF_RESKEY_* ``params``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        env["OCF_RESKEY_ip"] = SUBNETS[family][1]
        env["OCF_RESKEY_run_dir"] = self.run_dir
        env.update({f"OCF_RESKEY_{name}": value for name, value in params.items()})
        return ns.run([sys.executable, "-m", "hafailover.agents.vip", action],
                      check=False, env=env)

    def neighbour_mac(self, family: int) -> str | None:
        """The MAC in the client's neighbour entry for the VIP, or None if it has none."""
        out = self.client.run(["ip", f"-{family}", "neigh", "show", SUBNETS[family][1],
                               "dev", "eth0"]).stdout.split()
        return out[out.index("lladdr") + 1] if "lladdr" in out else None

    def reach(self, family: int) -> bool:
        """Whether the VIP answers the client: a TCP connection to a closed port is
        refused (RST) only by a host that has the address. (No ping binary needed.)"""
        result = self.client.run([sys.executable, "-c", REACH, SUBNETS[family][1]],
                                 check=False)
        return result.returncode == 0

    def set_neighbour_mac(self, family: int, mac: str) -> None:
        self.client.run(["ip", f"-{family}", "neigh", "replace", SUBNETS[family][1],
                         "lladdr", mac, "dev", "eth0", "nud", "stale"])


def exit_reason(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
    return lines[-1].removeprefix("ocf-exit-reason:") if lines else ""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    suffix = os.getpid()
    with ExitStack() as stack:
        switch = stack.enter_context(namespace(f"sw-vip-{suffix}"))
        add_bridge(switch, "br0")
        nodes = {}
        for name, host in HOSTS.items():
            ns = stack.enter_context(namespace(f"{name[:2]}-vip-{suffix}"))
            connect(ns, "eth0", switch, "br0", addresses=[SUBNETS[4][0].format(host)])
            # nodad: a static address is "tentative" for a second or more otherwise.
            ns.run(["ip", "addr", "add", SUBNETS[6][0].format(host), "dev", "eth0", "nodad"])
            nodes[name] = ns
        macs = {name: json.loads(ns.run(["ip", "-j", "link", "show", "eth0"]).stdout)[0]
                ["address"] for name, ns in nodes.items()}
        run_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="vip-run-"))
        yield Lab(nodes["n1"], nodes["n2"], nodes["client"], switch, macs, run_dir)


@pytest.fixture
def fresh(lab: Lab) -> Iterator[Lab]:
    """No VIP on either node and no neighbour entry on the client, before and after."""

    def clean() -> None:
        for ns in (lab.n1, lab.n2):
            for family, (pattern, vip) in SUBNETS.items():
                prefix = pattern.rsplit("/", 1)[1]
                ns.run(["ip", f"-{family}", "addr", "del", f"{vip}/{prefix}", "dev", "eth0"],
                       check=False)
        lab.client.run(["ip", "neigh", "flush", "dev", "eth0"], check=False)

    clean()
    yield lab
    clean()


def wait_for_mac(lab: Lab, family: int, mac: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    seen = lab.neighbour_mac(family)
    while seen != mac and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = lab.neighbour_mac(family)
    return seen


def fail_over(lab: Lab, family: int, **n2_params: str) -> None:
    """VIP on n1, client talks to it, then n1 stops and n2 starts it (client stays silent)."""
    started = lab.agent(lab.n1, "start", family, arp_count="1")
    assert started.returncode == 0, started.stderr
    assert lab.reach(family), "the client cannot reach the VIP on n1"
    assert lab.neighbour_mac(family) == lab.macs["n1"]
    assert lab.agent(lab.n1, "stop", family).returncode == 0
    taken = lab.agent(lab.n2, "start", family, **n2_params)
    assert taken.returncode == 0, taken.stderr


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_after_takeover_the_client_reaches_the_vip_at_the_new_nodes_mac(
        fresh: Lab, family: int) -> None:
    fail_over(fresh, family)
    # Nothing was sent to the VIP since n2 took it: only the announcement can change this.
    assert wait_for_mac(fresh, family, fresh.macs["n2"], TAKEOVER_POLL_S) == fresh.macs["n2"]
    assert fresh.reach(family), "the client cannot reach the VIP on n2"
    assert fresh.neighbour_mac(family) == fresh.macs["n2"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_without_announcements_the_client_keeps_the_old_nodes_mac(
        fresh: Lab, family: int) -> None:
    fail_over(fresh, family, arp_count="0")
    assert wait_for_mac(fresh, family, fresh.macs["n2"], TAKEOVER_POLL_S) == fresh.macs["n1"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_monitor_is_0_after_start_and_7_after_stop(fresh: Lab, family: int) -> None:
    assert fresh.agent(fresh.n1, "start", family, arp_count="1").returncode == 0
    running = fresh.agent(fresh.n1, "monitor", family)
    assert running.returncode == 0, running.stderr
    assert fresh.agent(fresh.n1, "stop", family).returncode == 0
    stopped = fresh.agent(fresh.n1, "monitor", family)
    assert stopped.returncode == 7
    assert f"{SUBNETS[family][1]} is not on any interface" in exit_reason(stopped)


def test_start_twice_keeps_one_address_and_succeeds(fresh: Lab) -> None:
    for _ in range(2):
        assert fresh.agent(fresh.n1, "start", 4, arp_count="1").returncode == 0
    listed = fresh.n1.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert listed.count("10.77.0.100/24") == 1


def test_ipv6_vip_is_usable_at_once_and_can_be_deprecated(fresh: Lab) -> None:
    result = fresh.agent(fresh.n1, "start", 6, arp_count="0", preferred_lft="0")
    assert result.returncode == 0, result.stderr
    listed = fresh.n1.run(["ip", "-6", "-o", "addr", "show", "dev", "eth0"]).stdout
    line = next(row for row in listed.splitlines() if "fd00::100/64" in row)
    assert "nodad" in line and "tentative" not in line
    assert "deprecated" in line and "valid_lft forever" in line


def test_label_is_set_on_an_ipv4_vip(fresh: Lab) -> None:
    assert fresh.agent(fresh.n1, "start", 4, arp_count="0", label="eth0:vip").returncode == 0
    listed = fresh.n1.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert "eth0:vip" in listed


def test_bad_ip_is_not_configured(fresh: Lab) -> None:
    result = fresh.agent(fresh.n1, "start", 4, ip="10.77.0.300")
    assert result.returncode == 6
    assert "not an IPv4 or IPv6 address" in exit_reason(result)


@pytest.mark.parametrize("action", ["start", "validate-all"])
def test_ip_outside_every_subnet_without_nic_is_not_configured(fresh: Lab, action: str) -> None:
    result = fresh.agent(fresh.n1, action, 4, ip="172.31.255.100")
    assert result.returncode == 6
    assert "no interface has an address in a subnet containing" in exit_reason(result)


def test_missing_nic_is_not_configured(fresh: Lab) -> None:
    result = fresh.agent(fresh.n1, "start", 4, nic="eth9", cidr_netmask="24")
    assert result.returncode == 6
    assert "eth9 does not exist" in exit_reason(result)


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_monitor_fails_when_the_link_loses_carrier(fresh: Lab, family: int) -> None:
    assert fresh.agent(fresh.n1, "start", family, arp_count="0").returncode == 0
    switch_port = f"{fresh.n1.name[:7]}-eth0"[:15]
    fresh.switch.run(["ip", "link", "set", switch_port, "down"])
    try:
        result = fresh.agent(fresh.n1, "monitor", family)
        assert result.returncode == 1
        assert "link is down" in exit_reason(result)
    finally:
        fresh.switch.run(["ip", "link", "set", switch_port, "up"])


BOGUS_MAC = "02:00:00:00:00:99"


def test_monitor_re_announces_once_arp_refresh_has_passed(fresh: Lab) -> None:
    params = {"arp_count": "1", "arp_refresh": "1"}
    assert fresh.agent(fresh.n1, "start", 4, **params).returncode == 0
    time.sleep(1.1)
    fresh.set_neighbour_mac(4, BOGUS_MAC)  # a cache gone wrong since the start
    assert fresh.agent(fresh.n1, "monitor", 4, **params).returncode == 0
    assert fresh.neighbour_mac(4) == fresh.macs["n1"]


def test_monitor_does_not_re_announce_within_arp_refresh(fresh: Lab) -> None:
    params = {"arp_count": "1", "arp_refresh": "3600"}
    assert fresh.agent(fresh.n1, "start", 4, **params).returncode == 0
    fresh.set_neighbour_mac(4, BOGUS_MAC)
    assert fresh.agent(fresh.n1, "monitor", 4, **params).returncode == 0
    assert fresh.neighbour_mac(4) == BOGUS_MAC


@pytest.fixture
def vip_ocf_root() -> Iterator[Path]:
    """A throwaway OCF root with the agent as ocf:hafailover:vip, readable by nobody
    (ocf-tester runs meta-data as that user, so pytest's private tmp_path will not do)."""
    root = Path(tempfile.mkdtemp(prefix="vip-ocf-"))
    try:
        root.chmod(0o755)
        agent = root / "resource.d" / "hafailover" / "vip"
        agent.parent.mkdir(parents=True)
        shutil.copy(WRAPPER, agent)
        agent.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for directory in (root / "resource.d", agent.parent):
            directory.chmod(0o755)
        (root / "lib").symlink_to("/usr/lib/ocf/lib")
        # The wrapper runs "python3". Ours may live where nobody cannot read it (pyenv
        # under /root), and ocf-tester runs meta-data as nobody: this python3 picks the
        # suite's interpreter where it can and the system one (with the source tree on
        # PYTHONPATH) where it cannot. It also skips pyenv's slow shim.
        bin_dir = root / "bin"
        bin_dir.mkdir(mode=0o755)
        (bin_dir / "python3").write_text(
            f'#!/bin/sh\nif [ -x "{sys.executable}" ]; then exec "{sys.executable}" "$@"; fi\n'
            'exec /usr/bin/python3 "$@"\n')
        (bin_dir / "python3").chmod(0o755)
        # nobody must read the package too, wherever the checkout lives (a clone in a
        # private temporary directory, say): a world-readable copy of the source
        shutil.copytree(REPO / "src" / "hafailover", root / "python" / "hafailover",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for path in (root / "python").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (root / "python").chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root)


@pytest.mark.skipif(shutil.which("ocf-tester") is None, reason="needs resource-agents")
def test_ocf_tester_passes(fresh: Lab, vip_ocf_root: Path) -> None:
    """IPv4 only: ocf-tester runs the agent two dozen times, and the IPv6 actions are
    covered above."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
    env["PATH"] = os.pathsep.join([str(vip_ocf_root / "bin"), env["PATH"]])
    env["PYTHONPATH"] = os.pathsep.join([str(vip_ocf_root / "python"),
                                         env.get("PYTHONPATH", "")])
    env["OCF_ROOT"] = str(vip_ocf_root)
    result = fresh.n1.run(
        ["ocf-tester", "-n", "vip-test", "-o", f"ip={SUBNETS[4][1]}", "-o", "arp_count=1",
         "-o", f"run_dir={fresh.run_dir}", str(vip_ocf_root / "resource.d" / "hafailover" / "vip")],
        check=False, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout
