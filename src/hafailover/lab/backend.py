"""The lab's demo backend: a tiny HTTP server that says which node it runs on.

``GET /`` answers ``NODE\\n``, ``GET /health`` answers ``ok\\n`` (haproxy's health
check); anything else is 404. The node is ``OCF_RESKEY_CRM_meta_on_node`` when the
process has it, else ``--name``, else the lab node whose network namespace the process
is in (``PREFIX-n2`` -> ``n2``; ``ocf:heartbeat:anything`` starts its command through
``su -``, which clears the environment), else the host name.

    python3 -m hafailover.lab.backend --port 8080
"""

from __future__ import annotations

import argparse
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NETNS_DIR = "/run/netns"


def namespace_name() -> str | None:
    """The name under ``/run/netns`` of this process's network namespace, if any."""
    try:
        ours = os.stat("/proc/self/ns/net")
        names = os.listdir(NETNS_DIR)
    except OSError:
        return None
    for name in sorted(names):
        try:
            theirs = os.stat(os.path.join(NETNS_DIR, name))
        except OSError:
            continue
        if (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino):
            return name
    return None


def node_name(given: str | None) -> str:
    from_env = os.environ.get("OCF_RESKEY_CRM_meta_on_node")  # noqa: SIM112 (OCF spells it so)
    if from_env:
        return from_env
    if given:
        return given
    namespace = namespace_name()
    if namespace and "-" in namespace:
        return namespace.split("-", 1)[1]
    return socket.gethostname()


def make_handler(name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hafailover-lab-backend"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/":
                self._answer(200, f"{name}\n")
            elif path == "/health":
                self._answer(200, "ok\n")
            else:
                self._answer(404, "not found\n")

        def _answer(self, code: int, text: str) -> None:
            body = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # haproxy checks it twice a second: nothing worth a log line

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--name", help="the node name, when the environment has none")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(node_name(args.name)))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
