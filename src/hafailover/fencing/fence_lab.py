"""fence_lab: a fence agent for a lab whose nodes are network namespaces on one machine.

``off`` is a power loss: every link of the node's namespace except loopback goes down,
then every process in it is killed with SIGKILL, and what lived only in memory is gone:
a link whose alias records its boot addresses (``boot 10.1.0.11/24``, as ``hafailover
lab`` sets it) keeps only those, so a VIP the node held is not there when it comes back.
``on`` brings the links back up; processes are not restarted, like a machine whose
services do not start at boot.
``status`` answers 0 (on) while a link other than loopback is up, 2 (off) when all are
down. Parameters come as ``key=value`` lines on standard input, or as ``-o ACTION -n
PLUG --namespace=FORMAT`` on the command line, as with any fence-agents agent:

    echo -e "action=status\\nplug=n1" | python -m hafailover.fencing.fence_lab

``namespace`` is the namespace's name with ``{plug}`` standing for the plug (default
``hfl-{plug}``, the nodes of ``hafailover lab``). The agent needs root; it works from
inside another namespace too (``ip netns exec``): the namespace files under
/run/netns and /proc are the machine's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from hafailover import settings
from hafailover.fencing.protocol import (
    EXIT_ERROR,
    EXIT_OFF,
    EXIT_OK,
    ParameterSpec,
    Request,
    metadata_xml,
    read_request,
)

NAME = "fence_lab"
DEFAULT_FORMAT = "hfl-{plug}"
NETNS_DIR = "/run/netns"
BOOT_ALIAS = "boot"  # first word of a link alias that lists its boot addresses
KILL_ROUNDS = 50  # processes that fork while being killed: look again this many times
KILL_WAIT = 0.05
PARAMETERS = (
    ParameterSpec("namespace", "The node's network namespace; {plug} stands for the plug",
                  DEFAULT_FORMAT),
)
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,200}")


class FenceError(RuntimeError):
    pass


def _ip(*args: str) -> str:
    try:
        result = subprocess.run([settings.IP_BINARY, *args], capture_output=True, text=True,
                                check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FenceError(f"ip {' '.join(args)}: {exc}") from None
    if result.returncode != 0:
        raise FenceError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def namespace_for(fmt: str, plug: str) -> str:
    if not plug:
        raise FenceError("no plug given (plug=NODE)")
    if "{plug}" not in fmt:
        raise FenceError(f"namespace {fmt!r} has no {{plug}} in it")
    name = fmt.replace("{plug}", plug)
    if not _NAME_RE.fullmatch(name) or name in (".", ".."):
        raise FenceError(f"{name!r} is not a namespace name")
    if not os.path.exists(os.path.join(NETNS_DIR, name)):
        raise FenceError(f"no network namespace {name!r}")
    return name


def links(ns: str) -> dict[str, bool]:
    """Every link of the namespace but loopback, and whether it is up (admin state)."""
    found = {}
    for link in _link_records(ns):
        name = str(link.get("ifname", ""))
        if name and name != "lo" and "LOOPBACK" not in link.get("flags", []):
            found[name] = "UP" in link.get("flags", [])
    return found


def _link_records(ns: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(_ip("-j", "-n", ns, "link", "show") or "[]")
    return records


def record_boot_addresses(ns: str, link: str, addresses: Sequence[str]) -> None:
    """Remember ``addresses`` (CIDR) as what ``link`` has after a boot, in its alias."""
    _ip("-n", ns, "link", "set", "dev", link, "alias", " ".join([BOOT_ALIAS, *addresses]))


def boot_addresses(ns: str) -> dict[str, list[str]]:
    """Each link that has its boot addresses recorded, with them."""
    found = {}
    for link in _link_records(ns):
        words = str(link.get("ifalias", "")).split()
        if words[:1] == [BOOT_ALIAS]:
            found[str(link["ifname"])] = words[1:]
    return found


def reset_addresses(ns: str) -> None:
    """Every link with recorded boot addresses gets exactly those back: whatever a
    resource added (a VIP) is gone, as after a power loss. Other links are left alone."""
    for link, addresses in boot_addresses(ns).items():
        _ip("-n", ns, "addr", "flush", "dev", link, "scope", "global")
        for address in addresses:
            _ip("-n", ns, "addr", "add", address, "dev", link)


def set_links(ns: str, state: str) -> None:
    for name in links(ns):
        _ip("-n", ns, "link", "set", "dev", name, state)


def pids(ns: str) -> list[int]:
    return [int(p) for p in _ip("netns", "pids", ns).split() if p.isdigit()]


def kill_all(ns: str) -> None:
    """SIGKILL every process in the namespace, again until none is left (a process may
    fork while its siblings die). This process itself is spared, if it is in there."""
    me = os.getpid()
    for _ in range(KILL_ROUNDS):
        victims = [p for p in pids(ns) if p != me]
        if not victims:
            return
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(KILL_WAIT)
    left = [p for p in pids(ns) if p != me]
    if left:
        raise FenceError(f"processes still alive in {ns}: {' '.join(map(str, left))}")


def power_off(ns: str) -> None:
    set_links(ns, "down")  # the node goes silent at once, then it dies
    kill_all(ns)
    reset_addresses(ns)


def power_on(ns: str) -> None:
    set_links(ns, "up")


def is_on(ns: str) -> bool:
    return any(links(ns).values())


def list_plugs(fmt: str) -> list[tuple[str, str]]:
    before, _, after = fmt.partition("{plug}")
    pattern = re.compile(re.escape(before) + r"(.+)" + re.escape(after))
    try:
        names = sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []
    return [(m.group(1), name) for name in names if (m := pattern.fullmatch(name))]


def run(request: Request) -> tuple[int, str]:
    """Carry out one request: (exit code, what to print on standard output)."""
    fmt = request.params.get("namespace") or DEFAULT_FORMAT
    action = request.action
    if action == "metadata":
        return EXIT_OK, metadata_xml(NAME, "Fence agent for nodes that are network "
                                     "namespaces: off is a power loss", PARAMETERS)
    if action == "monitor":
        _ip("netns", "list")
        return EXIT_OK, ""
    if action == "list":
        return EXIT_OK, "".join(f"{plug},{name}\n" for plug, name in list_plugs(fmt))
    if action == "validate-all":
        if "{plug}" not in fmt:
            raise FenceError(f"namespace {fmt!r} has no {{plug}} in it")
        return EXIT_OK, ""
    ns = namespace_for(fmt, request.plug)
    if action == "off":
        power_off(ns)
    elif action == "on":
        power_on(ns)
    elif action == "reboot":
        power_off(ns)
        power_on(ns)
    elif action == "status":
        on = is_on(ns)
        return (EXIT_OK if on else EXIT_OFF), f"Status: {'ON' if on else 'OFF'}\n"
    else:
        raise FenceError(f"unknown action {action!r}")
    return EXIT_OK, f"Success: {action} {request.plug} ({ns})\n"


def invoke(stdin_text: str) -> tuple[int, str]:
    """One request given as fence-agents' stdin lines: (exit code, output). The agent
    daemon calls this in a worker thread, sparing an interpreter's start-up."""
    request = read_request([], stdin_text)
    notes = "".join(f"Parse error: ignoring {line!r}\n" for line in request.ignored)
    try:
        rc, out = run(request)
    except FenceError as exc:
        return EXIT_ERROR, notes + f"Failed: {exc}\n"
    return rc, notes + out


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    request = read_request(args, None if args else sys.stdin.read())
    for line in request.ignored:
        print(f"Parse error: ignoring {line!r}", file=sys.stderr)
    try:
        rc, out = run(request)
    except FenceError as exc:
        print(f"Failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
