"""Faults injected into one lab namespace: blocked peers, random packet loss, links down.

Each kind of fault owns one nftables table in the namespace, so removing it never
touches any other rule (the agent's or another fault's). Every change is one ``nft -f``
transaction: a fault is either wholly in place or not at all. ARP is left alone; a
blocked peer is one whose IP packets never arrive, as behind a firewall or a broken
router, while the links stay up.
"""

from __future__ import annotations

import ipaddress
import re
import signal
from collections.abc import Iterable

from hafailover.lab.netns import Netns

PARTITION_TABLE = "hafailover_partition"
LOSS_TABLE = "hafailover_loss"


def _nft(ns: Netns, script: str, attempts: int = 3) -> None:
    """Apply ``script`` as one transaction. Fencing a lab node SIGKILLs every process in
    its namespace, ``nft`` included when it runs at that moment; the transaction is then
    either wholly applied or not at all, and every script here is idempotent (it
    replaces its table), so it is simply run again."""
    for _ in range(attempts - 1):
        returncode = ns.run(["nft", "-f", "-"], input=script, check=False).returncode
        if returncode == 0:
            return
        if returncode != -signal.SIGKILL:
            break  # a real error: the run below reports it
    ns.run(["nft", "-f", "-"], input=script)


def _replace_table(table: str, body: str) -> str:
    """An nft script that drops ``table`` if it exists and, if ``body`` is given,
    creates it again with that body."""
    script = f"table inet {table}\ndelete table inet {table}\n"
    if body:
        script += f"table inet {table} {{\n{body}}}\n"
    return script


def _address_set(name: str, kind: str, addresses: list[str]) -> str:
    elements = f"    elements = {{ {', '.join(addresses)} }}\n" if addresses else ""
    return f"  set {name} {{\n    type {kind}\n{elements}  }}\n"


def block_peers(ns: Netns, addresses: Iterable[str]) -> None:
    """Drop every IP packet from or to ``addresses`` in ``ns``; replaces the previous
    list. An empty list removes the block."""
    parsed = sorted({ipaddress.ip_address(a) for a in addresses},
                    key=lambda a: (a.version, a))
    if not parsed:
        unblock_peers(ns)
        return
    v4 = [str(a) for a in parsed if a.version == 4]
    v6 = [str(a) for a in parsed if a.version == 6]
    body = (_address_set("blocked4", "ipv4_addr", v4)
            + _address_set("blocked6", "ipv6_addr", v6)
            + "  chain input {\n    type filter hook input priority filter; policy accept;\n"
              "    ip saddr @blocked4 drop\n    ip6 saddr @blocked6 drop\n  }\n"
              "  chain output {\n    type filter hook output priority filter; policy accept;\n"
              "    ip daddr @blocked4 drop\n    ip6 daddr @blocked6 drop\n  }\n")
    _nft(ns, _replace_table(PARTITION_TABLE, body))


def unblock_peers(ns: Netns) -> None:
    _nft(ns, _replace_table(PARTITION_TABLE, ""))


def drop_randomly(ns: Netns, percent: int) -> None:
    """Drop ``percent`` % of the packets ``ns`` receives and, independently, of those it
    sends (loopback excepted); 0 removes the loss."""
    if not 0 <= percent <= 100:
        raise ValueError(f"packet loss must be 0 to 100 %, not {percent}")
    if percent == 0:
        _nft(ns, _replace_table(LOSS_TABLE, ""))
        return
    body = ("  chain input {\n    type filter hook input priority filter; policy accept;\n"
            f"    iifname != \"lo\" numgen random mod 100 <= {percent - 1} drop\n  }}\n"
            "  chain output {\n    type filter hook output priority filter; policy accept;\n"
            f"    oifname != \"lo\" numgen random mod 100 <= {percent - 1} drop\n  }}\n")
    _nft(ns, _replace_table(LOSS_TABLE, body))


def set_link(ns: Netns, ifname: str, *, up: bool) -> None:
    """Carrier off or on for the interface (its peer on the switch sees it too)."""
    ns.run(["ip", "link", "set", ifname, "up" if up else "down"])


def _table(ns: Netns, table: str) -> str:
    """The table as ``nft list`` prints it; "" when it does not exist."""
    result = ns.run(["nft", "list", "table", "inet", table], check=False)
    return result.stdout if result.returncode == 0 else ""


def blocked_peers(ns: Netns) -> list[str]:
    """The addresses ``block_peers`` cut ``ns`` off from, sorted; [] when none."""
    text = _table(ns, PARTITION_TABLE)
    found = set()
    for elements in re.findall(r"elements\s*=\s*\{([^}]*)\}", text):
        for item in elements.replace("\n", " ").split(","):
            if item.strip():
                found.add(ipaddress.ip_address(item.strip()))
    return [str(a) for a in sorted(found, key=lambda a: (a.version, a))]


def loss_percent(ns: Netns) -> int:
    """The random loss ``drop_randomly`` set in ``ns``; 0 when none."""
    match = re.search(r"numgen random mod 100 <= (\d+)", _table(ns, LOSS_TABLE))
    return int(match.group(1)) + 1 if match else 0


def link_is_up(ns: Netns, ifname: str) -> bool:
    """The interface is administratively up (``set_link`` did not turn it off)."""
    result = ns.run(["ip", "-o", "link", "show", ifname], check=False)
    flags = re.search(r"<([^>]*)>", result.stdout)
    return result.returncode == 0 and flags is not None and "UP" in flags.group(1).split(",")
