"""Interface addresses and links: pure lookups (findif), and the pyroute2 shell that reads
and changes them.

The pure half works on plain snapshots (:class:`InterfaceAddress`, :class:`Link`) so the
"which interface gets the VIP" question can be answered and tested without a kernel. The
:class:`Netlink` class is the only place that talks to the kernel; it imports pyroute2 on
first use, so ``meta-data`` and ``usage`` need no netlink library at all.
"""

from __future__ import annotations

import errno
import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

IFF_UP = 0x1
IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
LIFETIME_FOREVER = 0xFFFFFFFF


@dataclass(frozen=True)
class InterfaceAddress:
    """One address as the kernel lists it: where it is, with which prefix and label."""

    ifname: str
    interface: IPInterface
    label: str = ""
    flags: int = 0

    @property
    def ip(self) -> IPAddress:
        return self.interface.ip


@dataclass(frozen=True)
class Link:
    """What monitor needs to know about an interface."""

    ifname: str
    index: int
    mac: str
    admin_up: bool
    operstate: str  # UP, DOWN, UNKNOWN, LOWERLAYERDOWN, DORMANT, ...
    carrier: bool


@dataclass(frozen=True)
class Placement:
    """Where a VIP goes: the interface and the prefix length, with the reason for the choice."""

    ifname: str
    prefixlen: int
    reason: str


@dataclass(frozen=True)
class PlacementProblem:
    reason: str


def link_is_up(link: Link) -> bool:
    """Administratively up, and the kernel says the link works (UP, or UNKNOWN with carrier).

    Some drivers never report an operational state and stay UNKNOWN; for those the carrier
    bit is the only signal there is.
    """
    if not link.admin_up:
        return False
    if link.operstate == "UP":
        return True
    return link.operstate == "UNKNOWN" and link.carrier


def link_state_text(link: Link) -> str:
    admin = "up" if link.admin_up else "down"
    carrier = "carrier" if link.carrier else "no carrier"
    return f"admin {admin}, operstate {link.operstate}, {carrier}"


def holders(vip: IPAddress, addresses: Iterable[InterfaceAddress]) -> list[InterfaceAddress]:
    """The entries that are the VIP itself (normally zero or one)."""
    return [a for a in addresses if a.ip == vip]


def find_interface(vip: IPAddress, addresses: Sequence[InterfaceAddress], *,
                   nic: str | None = None, prefixlen: int | None = None,
                   ) -> Placement | PlacementProblem:
    """Choose the interface and prefix for ``vip``, like IPaddr2's findif.

    The candidates are the other addresses whose own subnet contains the VIP (the VIP itself
    never counts, so a VIP left over from an earlier start does not vouch for itself; IPv6
    link-local addresses only count for a link-local VIP). With ``nic`` only that
    interface's addresses count. The most specific subnet wins, as in routing; two
    interfaces equally specific is an ambiguity the user must settle with ``nic``. An
    explicit ``prefixlen`` is kept; otherwise the winning address's prefix is used.
    """
    vip_link_local = vip.version == 6 and vip.is_link_local
    candidates = [
        a for a in addresses
        if a.ip.version == vip.version and a.ip != vip
        and (nic is None or a.ifname == nic)
        and (vip_link_local or not (a.ip.version == 6 and a.ip.is_link_local))
        and vip in a.interface.network
    ]
    if not candidates:
        if nic is not None and prefixlen is not None:
            return Placement(nic, prefixlen, f"{nic} was given, with prefix /{prefixlen}")
        if nic is not None:
            return PlacementProblem(
                f"{nic} has no address in a subnet containing {vip}, so the prefix length "
                f"cannot be worked out: set cidr_netmask")
        return PlacementProblem(
            f"no interface has an address in a subnet containing {vip}: "
            f"set nic (and cidr_netmask), or use an address in a configured subnet")
    best = max(a.interface.network.prefixlen for a in candidates)
    winners = [a for a in candidates if a.interface.network.prefixlen == best]
    names = sorted({a.ifname for a in winners})
    if len(names) > 1:
        return PlacementProblem(
            f"{vip} is in the subnet of more than one interface ({', '.join(names)}): set nic")
    chosen = winners[0]
    prefix = prefixlen if prefixlen is not None else chosen.interface.network.prefixlen
    how = "given" if nic is not None else "found"
    return Placement(chosen.ifname, prefix,
                     f"{chosen.ifname} {how}: it has {chosen.interface} in the VIP's subnet")


class NetlinkRequestError(OSError):
    """The kernel refused a request; ``errno`` and the text come from netlink."""


class Netlink:
    """The kernel's address and link tables through pyroute2 (one netlink socket per instance).

    Kernel refusals come out as :class:`NetlinkRequestError`, an ``OSError``, so callers handle
    them together with socket errors.
    """

    def __init__(self) -> None:
        self._ipr: Any = None

    def _route(self) -> Any:
        if self._ipr is None:
            from pyroute2 import IPRoute  # type: ignore[import-untyped]
            self._ipr = IPRoute()
        return self._ipr

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None

    def links(self) -> list[Link]:
        result = []
        for msg in self._route().get_links():
            result.append(Link(
                ifname=str(msg.get("IFLA_IFNAME")),
                index=int(msg["index"]),
                mac=str(msg.get("IFLA_ADDRESS") or ""),
                admin_up=bool(int(msg["flags"]) & IFF_UP),
                operstate=str(msg.get("IFLA_OPERSTATE") or "UNKNOWN"),
                carrier=bool(msg.get("IFLA_CARRIER")),
            ))
        return result

    def link(self, ifname: str) -> Link | None:
        return next((link for link in self.links() if link.ifname == ifname), None)

    def addresses(self) -> list[InterfaceAddress]:
        names = {link.index: link.ifname for link in self.links()}
        result = []
        for msg in self._route().get_addr():
            ip = msg.get("IFA_LOCAL") or msg.get("IFA_ADDRESS")
            if ip is None or msg["index"] not in names:
                continue
            flags = msg.get("IFA_FLAGS")
            result.append(InterfaceAddress(
                ifname=names[msg["index"]],
                interface=ipaddress.ip_interface(f"{ip}/{msg['prefixlen']}"),
                label=str(msg.get("IFA_LABEL") or ""),
                flags=int(flags if flags is not None else msg["flags"]),
            ))
        return result

    def add(self, link: Link, interface: IPInterface, *, label: str = "",
            preferred_lft: int | None = None) -> bool:
        """Add the address; False if it was already there (EEXIST)."""
        from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

        request: dict[str, Any] = {
            "index": link.index, "address": str(interface.ip),
            "prefixlen": interface.network.prefixlen,
        }
        if interface.version == 4:
            if interface.network.prefixlen < 31:
                request["broadcast"] = str(interface.network.broadcast_address)
            if label:
                request["label"] = label
        else:
            # nodad: usable at once instead of "tentative" for a second or more, which also
            # lets the unsolicited neighbour advertisement go out from it straight away.
            request["IFA_FLAGS"] = IFA_F_NODAD
            if preferred_lft is not None:
                request["IFA_CACHEINFO"] = {"ifa_preferred": preferred_lft,
                                            "ifa_valid": LIFETIME_FOREVER}
        try:
            self._route().addr("add", **request)
        except NetlinkError as error:
            if error.code == errno.EEXIST:
                return False
            raise NetlinkRequestError(error.code, f"adding {interface} to {link.ifname}: "
                                 f"{os.strerror(error.code)}") from error
        return True

    def remove(self, link: Link, interface: IPInterface) -> bool:
        """Remove the address; False if it was not there (EADDRNOTAVAIL)."""
        from pyroute2.netlink.exceptions import NetlinkError

        try:
            self._route().addr("del", index=link.index, address=str(interface.ip),
                               prefixlen=interface.network.prefixlen)
        except NetlinkError as error:
            if error.code == errno.EADDRNOTAVAIL:
                return False
            raise NetlinkRequestError(error.code, f"removing {interface} from {link.ifname}: "
                                 f"{os.strerror(error.code)}") from error
        return True
