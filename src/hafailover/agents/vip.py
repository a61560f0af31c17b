"""builtin:vip, the virtual IP agent: an OCF resource agent command line.

Run as ``python3 -m hafailover.agents.vip ACTION`` with parameters in ``OCF_RESKEY_*``
environment variables (installed as ``ocf:hafailover:vip`` through resource_agents/vip), so
hafailover's executor and Pacemaker both run it like any OCF agent.

The actions are functions of the parameters and a :class:`Host` gateway (netlink, the
announcer, the clock, the announcement state files); :class:`SystemHost` is the real one and
the unit tests hand in a fake. Every action returns an :class:`Outcome`: an OCF exit code and
the sentence that explains it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from hafailover import __version__, settings
from hafailover.agents.addresses import (
    IFA_F_DADFAILED,
    LIFETIME_FOREVER,
    InterfaceAddress,
    IPAddress,
    IPInterface,
    Link,
    Placement,
    PlacementProblem,
    find_interface,
    holders,
    link_is_up,
    link_state_text,
)

AGENT = "vip"

OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7

IFNAMSIZ = 16  # including the terminating NUL: names are at most 15 characters


class Outcome(NamedTuple):
    rc: int
    reason: str


# --- parameters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamSpec:
    name: str
    content: str  # OCF content type: string or integer
    default: str | None
    shortdesc: str
    longdesc: str
    required: bool = False


PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("ip", "string", None, "The virtual IP address (IPv4 or IPv6)",
              "The address to add, for example 192.168.10.100 or fd00::100. It must not be "
              "a multicast, loopback or unspecified address.", required=True),
    ParamSpec("cidr_netmask", "string", None, "Prefix length",
              "The prefix length of the address (24, 64; an IPv4 netmask such as "
              "255.255.255.0 is also accepted). Default: the prefix of the interface's own "
              "address in the same subnet."),
    ParamSpec("nic", "string", None, "Network interface",
              "The interface to put the address on. Default: the interface that has an "
              "address in a subnet containing ip (the most specific subnet wins; two "
              "interfaces equally specific is an error)."),
    ParamSpec("label", "string", None, "IPv4 address label",
              "An IPv4 label such as eth0:vip (it must begin with the interface name, "
              "15 characters at most). Not used for IPv6."),
    ParamSpec("arp_count", "integer", "5", "Announcements to send",
              "How many times start sends the announcement (gratuitous ARP request and "
              "reply for IPv4, unsolicited neighbour advertisement for IPv6). 0 sends none."),
    ParamSpec("arp_interval", "integer", "200", "Milliseconds between announcements",
              "The pause between two announcements, in milliseconds."),
    ParamSpec("arp_refresh", "integer", "0", "Re-announce period (seconds)",
              "When greater than 0, a recurring monitor sends the announcement again if the "
              "last one is older than this many seconds. 0 turns it off."),
    ParamSpec("run_dir", "string", os.path.join(settings.RUN_DIR, AGENT),
              "Directory for announcement state",
              "Where the time of the last announcement is kept, for arp_refresh."),
    ParamSpec("preferred_lft", "string", "forever", "IPv6 preferred lifetime",
              "The preferred lifetime of an IPv6 VIP, in seconds, or forever. 0 marks the "
              "address deprecated, so the node does not pick it as the source of its own "
              "connections. IPv6 VIPs are always added with nodad, so they are usable at "
              "once."),
)

_SPECS = {spec.name: spec for spec in PARAMETERS}


@dataclass(frozen=True)
class Params:
    ip: IPAddress
    cidr_netmask: int | None = None
    nic: str | None = None
    label: str = ""
    arp_count: int = 5
    arp_interval: int = 200
    arp_refresh: int = 0
    run_dir: str = os.path.join(settings.RUN_DIR, AGENT)
    preferred_lft: int | None = None  # None: forever


@dataclass(frozen=True)
class Problem:
    """One invalid parameter: which, what was found, and what is allowed."""

    param: str
    message: str

    def text(self) -> str:
        return f"{self.param}: {self.message}"


def _raw(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(f"OCF_RESKEY_{name}", "").strip()
    if value:
        return value
    return _SPECS[name].default


def _integer(env: Mapping[str, str], name: str, problems: list[Problem],
             minimum: int = 0, maximum: int | None = None) -> int:
    raw = _raw(env, name) or "0"
    try:
        value = int(raw)
    except ValueError:
        problems.append(Problem(name, f"'{raw}' is not a whole number"))
        return 0
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        problems.append(Problem(name, f"{value} is out of range (allowed: {allowed})"))
    return value


def _parse_ip(raw: str | None, problems: list[Problem]) -> IPAddress | None:
    if raw is None:
        problems.append(Problem("ip", "is required"))
        return None
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        problems.append(Problem("ip", f"'{raw}' is not an IPv4 or IPv6 address"))
        return None
    for bad, what in ((ip.is_multicast, "a multicast"), (ip.is_loopback, "a loopback"),
                      (ip.is_unspecified, "the unspecified")):
        if bad:
            problems.append(Problem("ip", f"{ip} is {what} address and cannot be a VIP"))
            return None
    return ip


def _parse_prefix(raw: str | None, ip: IPAddress | None,
                  problems: list[Problem]) -> int | None:
    if raw is None:
        return None
    bits = 128 if ip is not None and ip.version == 6 else 32
    if raw.isdigit():
        value = int(raw)
        if 1 <= value <= bits:
            return value
        problems.append(Problem("cidr_netmask", f"{value} is out of range (allowed: 1..{bits})"))
        return None
    if bits == 32 and "." in raw:
        try:
            return ipaddress.IPv4Network(f"0.0.0.0/{raw}").prefixlen
        except ValueError:
            pass
    problems.append(Problem("cidr_netmask",
                            f"'{raw}' is not a prefix length (1..{bits})"
                            + (" or an IPv4 netmask" if bits == 32 else "")))
    return None


def _valid_ifname(name: str) -> bool:
    return (0 < len(name) < IFNAMSIZ and name not in (".", "..")
            and not any(c in name for c in "/: \t\n"))


def parse_params(env: Mapping[str, str]) -> tuple[Params | None, list[Problem]]:
    """All parameters from ``OCF_RESKEY_*``; every problem is collected, not just the first."""
    problems: list[Problem] = []
    ip = _parse_ip(_raw(env, "ip"), problems)
    prefix = _parse_prefix(_raw(env, "cidr_netmask"), ip, problems)
    nic = _raw(env, "nic")
    if nic is not None and not _valid_ifname(nic):
        problems.append(Problem("nic", f"'{nic}' is not a valid interface name "
                                       f"(1-15 characters, no '/', ':' or spaces)"))
    label = _raw(env, "label") or ""
    if label:
        if ip is not None and ip.version == 6:
            problems.append(Problem("label", "labels exist for IPv4 addresses only"))
        elif len(label) >= IFNAMSIZ or any(c in label for c in "/ \t\n"):
            problems.append(Problem("label", f"'{label}' is not a valid label "
                                             f"(15 characters at most, no '/' or spaces)"))
        elif nic is not None and not label.startswith(nic):
            problems.append(Problem("label", f"'{label}' must begin with the interface "
                                             f"name '{nic}'"))
    arp_count = _integer(env, "arp_count", problems, maximum=1000)
    arp_interval = _integer(env, "arp_interval", problems, maximum=60_000)
    arp_refresh = _integer(env, "arp_refresh", problems)
    run_dir = _raw(env, "run_dir") or ""
    if not os.path.isabs(run_dir):
        problems.append(Problem("run_dir", f"'{run_dir}' is not an absolute path"))
    lifetime_raw = _raw(env, "preferred_lft") or "forever"
    preferred_lft: int | None = None
    if lifetime_raw != "forever":
        if not lifetime_raw.isdigit() or int(lifetime_raw) >= LIFETIME_FOREVER:
            problems.append(Problem("preferred_lft", f"'{lifetime_raw}' is not a number of "
                                                     f"seconds or 'forever'"))
        elif ip is not None and ip.version == 4:
            problems.append(Problem("preferred_lft", "applies to IPv6 addresses only"))
        else:
            preferred_lft = int(lifetime_raw)
    if ip is None or problems:
        return None, problems
    return Params(ip=ip, cidr_netmask=prefix, nic=nic, label=label, arp_count=arp_count,
                  arp_interval=arp_interval, arp_refresh=arp_refresh, run_dir=run_dir,
                  preferred_lft=preferred_lft), []


# --- meta-data ----------------------------------------------------------------------------

ACTIONS: tuple[tuple[str, str], ...] = (
    ("start", 'timeout="20s"'),
    ("stop", 'timeout="20s"'),
    ("monitor", 'timeout="20s" interval="10s" depth="0"'),
    ("validate-all", 'timeout="20s"'),
    ("meta-data", 'timeout="5s"'),
    ("usage", 'timeout="5s"'),
)


def _xml(text: str) -> str:
    """Escaped for XML text and double-quoted attributes. (xml.sax.saxutils would do, but
    importing it pulls in urllib and http.client: 35 ms on every action.)"""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def metadata() -> str:
    """OCF 1.1 meta-data, valid against ra-api-1.dtd (which ocf-tester checks)."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
        f'<resource-agent name="{AGENT}" version="{__version__}">',
        "<version>1.1</version>",
        "<longdesc lang=\"en\">",
        "Manages a virtual IPv4 or IPv6 address: adds it to an interface, announces it with "
        "gratuitous ARP or unsolicited neighbour advertisements so the segment's caches "
        "point at this node at once, and removes it on stop.",
        "</longdesc>",
        '<shortdesc lang="en">Virtual IP address with ARP/NA announcement</shortdesc>',
        "<parameters>",
    ]
    for spec in PARAMETERS:
        default = f' default="{_xml(spec.default)}"' if spec.default is not None else ""
        lines += [
            f'<parameter name="{spec.name}" required="{int(spec.required)}">',
            f'<longdesc lang="en">{_xml(spec.longdesc)}</longdesc>',
            f'<shortdesc lang="en">{_xml(spec.shortdesc)}</shortdesc>',
            f'<content type="{spec.content}"{default}/>',
            "</parameter>",
        ]
    lines.append("</parameters>")
    lines.append("<actions>")
    lines += [f'<action name="{name}" {attrs}/>' for name, attrs in ACTIONS]
    lines.append("</actions>")
    lines.append("</resource-agent>")
    return "\n".join(lines) + "\n"


def usage() -> str:
    names = "|".join(name for name, _ in ACTIONS)
    return (f"usage: {AGENT} {{{names}}}\n"
            f"Parameters come from OCF_RESKEY_<name> environment variables; "
            f"see the meta-data action.\n")


# --- the gateway --------------------------------------------------------------------------

class Host(Protocol):
    """Everything the actions ask of the outside world."""

    def addresses(self) -> list[InterfaceAddress]: ...

    def link(self, ifname: str) -> Link | None: ...

    def add_address(self, link: Link, interface: IPInterface, *, label: str,
                    preferred_lft: int | None) -> bool: ...

    def remove_address(self, link: Link, interface: IPInterface) -> bool: ...

    def announce(self, link: Link, ip: IPAddress, *, count: int, interval_ms: int) -> int: ...

    def now(self) -> float: ...

    def last_announced(self, run_dir: str, ip: IPAddress) -> float | None: ...

    def record_announced(self, run_dir: str, ip: IPAddress, when: float) -> None: ...

    def forget_announced(self, run_dir: str, ip: IPAddress) -> None: ...


def state_file(run_dir: str, ip: IPAddress) -> str:
    return os.path.join(run_dir, f"{str(ip).replace(':', '_')}.announced")


class SystemHost:
    """The real host: pyroute2 for addresses, scapy for announcements, files in run_dir."""

    def __init__(self) -> None:
        from hafailover.agents.addresses import Netlink

        self._netlink = Netlink()

    def close(self) -> None:
        self._netlink.close()

    def addresses(self) -> list[InterfaceAddress]:
        return self._netlink.addresses()

    def link(self, ifname: str) -> Link | None:
        return self._netlink.link(ifname)

    def add_address(self, link: Link, interface: IPInterface, *, label: str,
                    preferred_lft: int | None) -> bool:
        return self._netlink.add(link, interface, label=label, preferred_lft=preferred_lft)

    def remove_address(self, link: Link, interface: IPInterface) -> bool:
        return self._netlink.remove(link, interface)

    def announce(self, link: Link, ip: IPAddress, *, count: int, interval_ms: int) -> int:
        from hafailover.agents.neighbour import announce

        return announce(link.ifname, link.mac, str(ip), count=count, interval_ms=interval_ms)

    def now(self) -> float:
        return time.time()

    def last_announced(self, run_dir: str, ip: IPAddress) -> float | None:
        try:
            with open(state_file(run_dir, ip), encoding="ascii") as handle:
                return float(handle.read().strip())
        except (OSError, ValueError):
            return None

    def record_announced(self, run_dir: str, ip: IPAddress, when: float) -> None:
        os.makedirs(run_dir, mode=0o755, exist_ok=True)
        path = state_file(run_dir, ip)
        with open(f"{path}.tmp", "w", encoding="ascii") as handle:
            handle.write(f"{when:.3f}\n")
        os.replace(f"{path}.tmp", path)

    def forget_announced(self, run_dir: str, ip: IPAddress) -> None:
        # Nothing recorded, or run_dir unreadable: either way there is nothing to forget.
        with contextlib.suppress(OSError):
            os.unlink(state_file(run_dir, ip))


# --- actions ------------------------------------------------------------------------------

def _held(params: Params, addresses: Sequence[InterfaceAddress]) -> list[InterfaceAddress]:
    found = holders(params.ip, addresses)
    return [a for a in found if params.nic is None or a.ifname == params.nic]


def place(params: Params, addresses: Sequence[InterfaceAddress]) -> Placement | PlacementProblem:
    """Where start puts the VIP: where it already is, else findif's choice."""
    held = _held(params, addresses)
    if held:
        return Placement(held[0].ifname, held[0].interface.network.prefixlen,
                         f"{params.ip} is already on {held[0].ifname}")
    return find_interface(params.ip, addresses, nic=params.nic, prefixlen=params.cidr_netmask)


def _check_placement(params: Params, host: Host) -> tuple[Placement, Link] | Outcome:
    placement = place(params, host.addresses())
    if isinstance(placement, PlacementProblem):
        return Outcome(OCF_ERR_CONFIGURED, placement.reason)
    link = host.link(placement.ifname)
    if link is None:
        return Outcome(OCF_ERR_CONFIGURED, f"interface {placement.ifname} does not exist")
    if params.label and not params.label.startswith(link.ifname):
        return Outcome(OCF_ERR_CONFIGURED,
                       f"label '{params.label}' must begin with the interface name "
                       f"'{link.ifname}'")
    return placement, link


def _announce(params: Params, host: Host, link: Link) -> str:
    """Send the announcement; returns a sentence. Raises OSError if it could not be sent."""
    if params.arp_count == 0:
        return "no announcement (arp_count=0)"
    frames = host.announce(link, params.ip, count=params.arp_count,
                           interval_ms=params.arp_interval)
    what = "gratuitous ARP" if params.ip.version == 4 else "unsolicited neighbour advertisement"
    sent = (f"{what} sent {params.arp_count} times {params.arp_interval} ms apart "
            f"({frames} frames) from {link.mac}")
    if params.arp_refresh > 0:
        try:
            host.record_announced(params.run_dir, params.ip, host.now())
        except OSError as error:
            return f"{sent} (could not record the time for arp_refresh: {error})"
    return sent


def validate(params: Params, host: Host) -> Outcome:
    checked = _check_placement(params, host)
    if isinstance(checked, Outcome):
        return checked
    placement, _ = checked
    return Outcome(OCF_SUCCESS, f"{params.ip}/{placement.prefixlen} goes on "
                                f"{placement.ifname}: {placement.reason}")


def start(params: Params, host: Host) -> Outcome:
    checked = _check_placement(params, host)
    if isinstance(checked, Outcome):
        return checked
    placement, link = checked
    if not link_is_up(link):
        return Outcome(OCF_ERR_GENERIC, f"cannot start {params.ip} on {link.ifname}: the link "
                                        f"is down ({link_state_text(link)})")
    interface = ipaddress.ip_interface(f"{params.ip}/{placement.prefixlen}")
    try:
        added = host.add_address(link, interface, label=params.label,
                                 preferred_lft=params.preferred_lft)
    except OSError as error:
        return Outcome(OCF_ERR_GENERIC, f"could not add {interface} to {link.ifname}: {error}")
    done = f"added {interface} to {link.ifname}" if added else (
        f"{interface.ip} was already on {link.ifname}")
    try:
        announced = _announce(params, host, link)
    except OSError as error:
        return Outcome(OCF_ERR_GENERIC, f"{done}, but the announcement failed: {error}")
    return Outcome(OCF_SUCCESS, f"{done}; {announced}")


def stop(params: Params, host: Host) -> Outcome:
    held = _held(params, host.addresses())
    host.forget_announced(params.run_dir, params.ip)
    where = params.nic or "any interface"
    if not held:
        return Outcome(OCF_SUCCESS, f"{params.ip} is not on {where}: nothing to stop")
    removed = []
    for address in held:
        link = host.link(address.ifname)
        if link is None:
            continue
        try:
            host.remove_address(link, address.interface)
        except OSError as error:
            return Outcome(OCF_ERR_GENERIC,
                           f"could not remove {address.interface} from {link.ifname}: {error}")
        removed.append(f"{address.interface} from {link.ifname}")
    return Outcome(OCF_SUCCESS, f"removed {', '.join(removed)}")


def monitor(params: Params, host: Host, *, probe: bool = False) -> Outcome:
    held = _held(params, host.addresses())
    if not held:
        return Outcome(OCF_NOT_RUNNING, f"{params.ip} is not on {params.nic or 'any interface'}")
    address = held[0]
    link = host.link(address.ifname)
    if link is None:  # removed between the two netlink dumps
        return Outcome(OCF_NOT_RUNNING, f"{params.ip}'s interface {address.ifname} is gone")
    if not link_is_up(link):
        return Outcome(OCF_ERR_GENERIC, f"{address.interface} is on {link.ifname} but the link "
                                        f"is down ({link_state_text(link)})")
    if address.flags & IFA_F_DADFAILED:
        return Outcome(OCF_ERR_GENERIC, f"{address.interface} on {link.ifname} failed duplicate "
                                        f"address detection: another node has it")
    running = f"{address.interface} is on {link.ifname}, link up"
    if params.arp_refresh <= 0 or probe or params.arp_count == 0:
        return Outcome(OCF_SUCCESS, running)
    last = host.last_announced(params.run_dir, params.ip)
    now = host.now()
    if last is not None and now - last < params.arp_refresh:
        return Outcome(OCF_SUCCESS, f"{running}; last announced {now - last:.0f} s ago")
    try:
        announced = _announce(params, host, link)
    except OSError as error:
        # The address is fine; a failed refresh is worth a line in the log, not a recovery.
        return Outcome(OCF_SUCCESS, f"{running}; refreshing the announcement failed: {error}")
    return Outcome(OCF_SUCCESS, f"{running}; re-announced: {announced}")


def _is_probe(env: Mapping[str, str]) -> bool:
    return env.get("OCF_RESKEY_CRM_meta_interval", "").strip() == "0"


def _stop_despite(problems: Sequence[Problem], env: Mapping[str, str], host: Host) -> Outcome:
    """Stop with invalid parameters: a failed stop gets a node fenced, so stop only needs
    what locates the address. If ip or nic is unusable, no such address can be there."""
    reasons = "; ".join(p.text() for p in problems)
    if any(p.param in ("ip", "nic") for p in problems):
        return Outcome(OCF_SUCCESS, f"nothing to stop: the VIP cannot exist ({reasons})")
    params, _ = parse_params({k: v for k, v in env.items()
                              if k in ("OCF_RESKEY_ip", "OCF_RESKEY_nic")})
    if params is None:  # not reached: ip and nic had no problems above
        return Outcome(OCF_SUCCESS, f"nothing to stop ({reasons})")
    return stop(params, host)


def run(action: str, env: Mapping[str, str], host: Host) -> Outcome:
    """One action with parameters from ``env``; meta-data and usage are handled by main."""
    params, problems = parse_params(env)
    if params is None:
        if action == "stop":
            return _stop_despite(problems, env, host)
        return Outcome(OCF_ERR_CONFIGURED, "; ".join(p.text() for p in problems))
    if action == "start":
        return start(params, host)
    if action == "stop":
        return stop(params, host)
    if action == "monitor":
        return monitor(params, host, probe=_is_probe(env))
    return validate(params, host)


def warm_up() -> None:
    """Import what a start imports (pyroute2, scapy), so that a takeover does not wait."""
    from hafailover.agents import neighbour

    neighbour.load_scapy()
    SystemHost().close()


def invoke(action: str, env: Mapping[str, str]) -> tuple[int, str, str]:
    """One OCF action: (exit code, standard output, standard error), printing nothing.

    ``main`` prints what this returns; the agent daemon calls it in a worker thread
    (``hafailover.executor.inprocess``), which spares the interpreter's start-up on every
    takeover.
    """
    if action == "meta-data":
        return OCF_SUCCESS, metadata(), ""
    if action == "usage":
        return OCF_SUCCESS, usage(), ""
    if action not in ("start", "stop", "monitor", "validate-all"):
        return (OCF_ERR_UNIMPLEMENTED, "",
                usage() + f"ocf-exit-reason:action '{action}' is not implemented\n")
    host = SystemHost()
    try:
        outcome = run(action, env, host)
    except ImportError as error:
        outcome = Outcome(OCF_ERR_INSTALLED, f"a required Python package is missing: {error}")
    finally:
        host.close()
    if outcome.rc == OCF_SUCCESS:
        return outcome.rc, "", f"INFO: {AGENT} {action}: {outcome.reason}\n"
    return outcome.rc, "", f"ocf-exit-reason:{outcome.reason}\n"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write(usage())
        print("ocf-exit-reason:exactly one action expected", file=sys.stderr)
        return OCF_ERR_ARGS
    rc, out, err = invoke(args[0], os.environ if env is None else env)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return rc


if __name__ == "__main__":
    sys.exit(main())
