"""fence_container: fences a node that is a container, through the podman or docker CLI.

``off`` kills the container with SIGKILL (a container already stopped counts as off);
``on`` starts it again; ``status`` answers 0 while it runs and 2 when it is stopped.
Parameters, as ``key=value`` lines on standard input (or ``-o ACTION -n PLUG
--runtime=podman --container=FORMAT`` on the command line):

- ``runtime``: ``podman`` or ``docker`` (default: whichever is on PATH, podman first);
- ``container``: the container's name with ``{plug}`` standing for the plug (default
  ``{plug}``).

    echo -e "action=status\\nplug=n1\\ncontainer=demo-{plug}-1" | \\
        python -m hafailover.fencing.fence_container
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence

from hafailover.fencing.protocol import (
    EXIT_ERROR,
    EXIT_OFF,
    EXIT_OK,
    ParameterSpec,
    Request,
    metadata_xml,
    read_request,
)

NAME = "fence_container"
RUNTIMES = ("podman", "docker")
DEFAULT_FORMAT = "{plug}"
COMMAND_TIMEOUT = 60.0
PARAMETERS = (
    ParameterSpec("runtime", "Container runtime CLI: podman or docker (default: the first "
                  "of them on PATH)"),
    ParameterSpec("container", "The node's container; {plug} stands for the plug",
                  DEFAULT_FORMAT),
)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,253}")


class FenceError(RuntimeError):
    pass


class Runtime:
    def __init__(self, name: str | None) -> None:
        if name and name not in RUNTIMES:
            raise FenceError(f"runtime must be {' or '.join(RUNTIMES)}, not {name!r}")
        candidates = (name,) if name else RUNTIMES
        for candidate in candidates:
            path = shutil.which(candidate)
            if path:
                self.name, self.path = candidate, path
                return
        raise FenceError(f"{' or '.join(candidates)} not found on PATH")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([self.path, *args], capture_output=True, text=True,
                                  check=False, timeout=COMMAND_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FenceError(f"{self.name} {' '.join(args)}: {exc}") from None

    def check(self, *args: str) -> str:
        result = self.run(*args)
        if result.returncode != 0:
            raise FenceError(f"{self.name} {' '.join(args)} exited {result.returncode}: "
                             f"{(result.stderr or result.stdout).strip()}")
        return result.stdout

    def running(self, container: str) -> bool:
        out = self.check("inspect", "-f", "{{.State.Running}}", container).strip()
        if out not in ("true", "false"):
            raise FenceError(f"{self.name} inspect {container}: unexpected answer {out!r}")
        return out == "true"

    def off(self, container: str) -> None:
        result = self.run("kill", "--signal", "KILL", container)
        if result.returncode != 0 and self.running(container):
            raise FenceError(f"{self.name} kill {container} exited {result.returncode}: "
                             f"{(result.stderr or result.stdout).strip()}")

    def on(self, container: str) -> None:
        self.check("start", container)

    def names(self) -> list[str]:
        return self.check("ps", "-a", "--format", "{{.Names}}").split()


def container_for(fmt: str, plug: str) -> str:
    if not plug:
        raise FenceError("no plug given (plug=NODE)")
    name = fmt.replace("{plug}", plug)
    if not _NAME_RE.fullmatch(name):
        raise FenceError(f"{name!r} is not a container name")
    return name


def list_plugs(fmt: str, names: list[str]) -> list[tuple[str, str]]:
    before, _, after = fmt.partition("{plug}")
    pattern = re.compile(re.escape(before) + r"(.+)" + re.escape(after))
    return [(m.group(1), name) for name in sorted(names) if (m := pattern.fullmatch(name))]


def run(request: Request) -> int:
    fmt = request.params.get("container") or DEFAULT_FORMAT
    action = request.action
    if action == "metadata":
        sys.stdout.write(metadata_xml(NAME, "Fence agent for nodes that are containers: "
                                      "off kills the container", PARAMETERS))
        return EXIT_OK
    if action == "validate-all":
        if "{plug}" not in fmt:
            raise FenceError(f"container {fmt!r} has no {{plug}} in it")
        Runtime(request.params.get("runtime"))
        return EXIT_OK
    runtime = Runtime(request.params.get("runtime"))
    if action == "monitor":
        runtime.check("version")
        return EXIT_OK
    if action == "list":
        for plug, name in list_plugs(fmt, runtime.names()):
            print(f"{plug},{name}")
        return EXIT_OK
    container = container_for(fmt, request.plug)
    if action == "off":
        runtime.off(container)
    elif action == "on":
        runtime.on(container)
    elif action == "reboot":
        runtime.off(container)
        runtime.on(container)
    elif action == "status":
        on = runtime.running(container)
        print(f"Status: {'ON' if on else 'OFF'}")
        return EXIT_OK if on else EXIT_OFF
    else:
        raise FenceError(f"unknown action {action!r}")
    print(f"Success: {action} {request.plug} ({container})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    request = read_request(args, None if args else sys.stdin.read())
    for line in request.ignored:
        print(f"Parse error: ignoring {line!r}", file=sys.stderr)
    try:
        return run(request)
    except FenceError as exc:
        print(f"Failed: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
