"""The record store of the compose clusters: a small HTTP key-value service.

Every node container mounts the same volume at ``--dir``; a record is one file there,
written to a temporary name, flushed to disk and renamed, and only then acknowledged.
So a write acknowledged through the VIP is on the shared volume whichever node served
it, and any node that serves later reads it back: the volume plays the part of the
shared storage (SAN, NFS, GlusterFS) that the backends of a real cluster would use.

    PUT /records/ID   store the body (at most 4 KiB) under ID -> 201 "stored ID on NODE"
    GET /records/ID   the body, or 404
    GET /records      every record as a JSON object {ID: body}
    GET /health       "ok" while the directory is writable (haproxy's check)
    GET /             the node's name

    python3 store.py --port 8080 --dir /srv/shared/store
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 4096
ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def write_record(directory: Path, key: str, body: bytes) -> None:
    """Durably store ``body`` as ``directory/key``: the file is complete or absent."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / key)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_records(directory: Path) -> dict[str, str]:
    records = {}
    for path in directory.iterdir():
        if ID_RE.fullmatch(path.name) and not path.name.startswith("."):
            try:
                records[path.name] = path.read_text(errors="replace")
            except FileNotFoundError:
                continue
    return records


def make_handler(directory: Path, node: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hafailover-store"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/":
                self._answer(200, f"{node}\n")
            elif path == "/health":
                ok = os.access(directory, os.W_OK)
                self._answer(200 if ok else 503, "ok\n" if ok else "store not writable\n")
            elif path == "/records":
                self._answer(200, json.dumps(read_records(directory), sort_keys=True),
                             "application/json")
            elif (key := path.removeprefix("/records/")) != path and ID_RE.fullmatch(key):
                try:
                    self._answer(200, (directory / key).read_text(errors="replace"))
                except FileNotFoundError:
                    self._answer(404, "no such record\n")
            else:
                self._answer(404, "not found\n")

        def do_PUT(self) -> None:
            key = self.path.split("?", 1)[0].removeprefix("/records/")
            length = int(self.headers.get("Content-Length") or 0)
            if not ID_RE.fullmatch(key) or key.startswith("."):
                self._answer(400, "bad record id\n")
                return
            if length > MAX_BODY:
                self._answer(413, "record too large\n")
                return
            body = self.rfile.read(length)
            try:
                write_record(directory, key, body)
            except OSError as exc:
                self._answer(503, f"not stored: {exc}\n")
                return
            self._answer(201, f"stored {key} on {node}\n")

        def _answer(self, code: int, text: str, ctype: str = "text/plain") -> None:
            body = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # health checks twice a second: nothing worth a line

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--dir", type=Path, default=Path("/srv/shared/store"))
    parser.add_argument("--name", default=socket.gethostname())
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(args.dir, args.name))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
