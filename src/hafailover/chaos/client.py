"""The chaos suite's client side, run inside the client container (``exec``).

``write`` PUTs numbered records through the VIP and reads each acknowledged one back,
printing one JSON line per record::

    {"n": 17, "t": 1795664393.93, "ok": true, "ms": 3.1, "by": "n2", "read": true}

``ok`` is the acknowledgement (HTTP 201); ``read`` whether the GET right after it
returned the same body: false for another body or a 404, null when the write was not
acknowledged or the read got no answer from a store (a 503 from haproxy). ``dump`` prints every
record the store has, as one JSON object, read through the VIP.

    python -m hafailover.chaos.client write --vip 10.213.7.100 --run seed7 --every 0.05
    python -m hafailover.chaos.client dump --vip 10.213.7.100
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time

from hafailover.stopping import StopOnSignal

TIMEOUT = 2.0


def request(vip: str, method: str, path: str, body: bytes | None = None,
            timeout: float = TIMEOUT) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(vip, 80, timeout=timeout)
    try:
        conn.request(method, path, body=body,
                     headers={"Content-Type": "text/plain", "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def record_value(run: str, n: int) -> bytes:
    return f"record {n} of {run}\n".encode()


def record_id(run: str, n: int) -> str:
    return f"{run}-{n:07d}"


def write_one(vip: str, run: str, n: int) -> dict[str, object]:
    value = record_value(run, n)
    started = time.time()
    line: dict[str, object] = {"n": n, "t": round(started, 3), "ok": False, "read": None}
    try:
        status, body = request(vip, "PUT", f"/records/{record_id(run, n)}", value)
        line["ok"] = status == 201
        text = body.decode(errors="replace").strip()
        line["by"] = text.rsplit(" ", 1)[-1] if line["ok"] else f"HTTP {status}: {text}"
    except (OSError, http.client.HTTPException) as exc:
        line["by"] = f"{type(exc).__name__}: {exc}"
    line["ms"] = round((time.time() - started) * 1000, 1)
    if line["ok"]:
        try:
            status, body = request(vip, "GET", f"/records/{record_id(run, n)}")
            line["read_status"] = status
            if status == 200:
                line["read"] = body == value
            elif status == 404:
                line["read"] = False  # the store says it has no such record
            # anything else (haproxy's 503 while no store answers): unknown, read stays None
        except (OSError, http.client.HTTPException):
            pass  # unknown: the VIP did not answer the read
    return line


def write(vip: str, run: str, every: float, count: int | None) -> int:
    stop = StopOnSignal()
    n = 0
    while not stop.requested and (count is None or n < count):
        n += 1
        started = time.monotonic()
        print(json.dumps(write_one(vip, run, n)), flush=True)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return 0


def dump(vip: str) -> int:
    status, body = request(vip, "GET", "/records", timeout=30)
    if status != 200:
        print(f"GET /records: HTTP {status}", file=sys.stderr)
        return 1
    sys.stdout.write(body.decode())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="chaos client: write or dump records")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--vip", required=True)
    w.add_argument("--run", required=True, help="prefix of the record ids")
    w.add_argument("--every", type=float, default=0.05, help="seconds between writes")
    w.add_argument("--count", type=int, help="stop after this many (default: SIGTERM)")
    d = sub.add_parser("dump")
    d.add_argument("--vip", required=True)
    args = parser.parse_args(argv)
    if args.command == "write":
        return write(args.vip, args.run, args.every, args.count)
    return dump(args.vip)


if __name__ == "__main__":
    sys.exit(main())
