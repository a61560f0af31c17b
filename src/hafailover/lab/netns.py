"""Network namespaces, veth pairs and bridges through iproute2: the lab's I/O shell.

Used by ``hafailover lab`` and by the tier-1 tests. Every namespace made here gets
``net.ipv4.ip_forward=0`` (new namespaces inherit the host's 1, and routing between lab
nodes would hide the ARP and split-brain effects real hosts show) and its loopback up.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from hafailover import settings

NAMESPACE_DIR = "/run/netns"


class NetnsError(RuntimeError):
    pass


def _ip(*args: str) -> None:
    result = subprocess.run([settings.IP_BINARY, *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def namespace_exists(name: str) -> bool:
    return os.path.exists(os.path.join(NAMESPACE_DIR, name))


def namespace_names(pattern: str) -> list[str]:
    """The existing namespaces whose whole name matches the regular expression."""
    try:
        names = os.listdir(NAMESPACE_DIR)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if re.fullmatch(pattern, n))


@dataclass(frozen=True)
class Netns:
    name: str

    def command(self, argv: Sequence[str]) -> list[str]:
        return [settings.IP_BINARY, "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], *, check: bool = True, timeout: float = 60,
            input: str | None = None, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(argv), capture_output=True, text=True, check=False,
                                timeout=timeout, input=input, env=env)
        if check and result.returncode != 0:
            raise NetnsError(f"[{self.name}] {' '.join(argv)} exited {result.returncode}: "
                             f"{result.stderr.strip() or result.stdout.strip()}")
        return result

    def popen(self, argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command(argv), **kwargs)  # type: ignore[call-overload,no-any-return]

    def pids(self) -> list[int]:
        result = subprocess.run([settings.IP_BINARY, "netns", "pids", self.name],
                                capture_output=True, text=True, check=False)
        return [int(p) for p in result.stdout.split()]

    def kill_all(self, sig: int = signal.SIGKILL) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def create_namespace(name: str) -> Netns:
    if namespace_exists(name):
        raise NetnsError(f"network namespace '{name}' already exists "
                         f"(remove it with: ip netns delete {name})")
    _ip("netns", "add", name)
    ns = Netns(name)
    ns.run(["ip", "link", "set", "lo", "up"])
    ns.run(["sysctl", "-qw", "net.ipv4.ip_forward=0"])
    return ns


def delete_namespace(name: str) -> None:
    """Kill every process in the namespace and delete it; no error if it is gone."""
    if not namespace_exists(name):
        return
    Netns(name).kill_all()
    subprocess.run([settings.IP_BINARY, "netns", "delete", name], capture_output=True,
                   check=False)


@contextmanager
def namespace(name: str) -> Iterator[Netns]:
    delete_namespace(name)  # left over from a crashed run
    ns = create_namespace(name)
    try:
        yield ns
    finally:
        delete_namespace(name)


def add_bridge(ns: Netns, bridge: str, *, multicast_snooping: bool = True) -> None:
    """A bridge that is up; without snooping it floods multicast to every port, like a
    plain switch (and needs no IGMP querier to keep doing so)."""
    ns.run(["ip", "link", "add", bridge, "type", "bridge",
            "mcast_snooping", "1" if multicast_snooping else "0"])
    ns.run(["ip", "link", "set", bridge, "up"])


def connect(ns: Netns, ifname: str, switch: Netns, bridge: str, *,
            addresses: Sequence[str] = (), peer: str | None = None) -> None:
    """A veth pair from ``ns`` (as ``ifname``) to ``bridge`` in ``switch``.

    ``addresses`` are in CIDR form. ``peer`` names the switch end (at most 15
    characters, unique in the switch); by default it is made from both names.
    """
    peer = peer or f"{ns.name[:7]}-{ifname}"[:15]
    _ip("link", "add", ifname, "netns", ns.name, "type", "veth", "peer", "name", peer,
        "netns", switch.name)
    switch.run(["ip", "link", "set", peer, "master", bridge])
    switch.run(["ip", "link", "set", peer, "up"])
    for address in addresses:
        ns.run(["ip", "addr", "add", address, "dev", ifname])
    ns.run(["ip", "link", "set", ifname, "up"])
