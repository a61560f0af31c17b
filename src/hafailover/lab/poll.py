"""A client that asks a URL every few milliseconds and says who answers, when it changes.

    python -m hafailover.lab.poll --url http://10.60.0.100/ --every 0.1 --seconds 10

Prints a line when the service stops or starts answering, with the nodes that answered
meanwhile (haproxy spreads requests over the backends), and at the end how long the
service did not answer.
"""

from __future__ import annotations

import argparse
import time
import urllib.error
import urllib.request
from datetime import datetime


def ask(url: str, timeout: float) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode(errors="replace").strip()) or None
    except (urllib.error.URLError, OSError, TimeoutError):
        return None


def stamp(when: float) -> str:
    return datetime.fromtimestamp(when).strftime("%H:%M:%S.%f")[:-3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--every", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to ask")
    args = parser.parse_args(argv)
    end = time.monotonic() + args.seconds
    answering: bool | None = None
    seen: set[str] = set()
    silent_since: float | None = None
    silent_total = 0.0

    def flush(now: float) -> None:
        if answering:
            print(f"{stamp(now)}  answered by {', '.join(sorted(seen))}", flush=True)

    while time.monotonic() < end:
        asked = time.time()
        answer = ask(args.url, timeout=max(0.05, args.every))
        if (answer is not None) != answering:
            flush(asked)
            if answer is None:
                print(f"{stamp(asked)}  NO ANSWER", flush=True)
                silent_since = asked
            elif silent_since is not None:
                silent_total += asked - silent_since
                print(f"{stamp(asked)}  answering again after "
                      f"{(asked - silent_since) * 1000:.0f} ms", flush=True)
                silent_since = None
            answering, seen = answer is not None, set()
        if answer is not None:
            seen.add(answer)
        time.sleep(max(0.0, args.every - (time.time() - asked)))
    flush(time.time())
    if silent_since is not None:
        silent_total += time.time() - silent_since
    print(f"the service did not answer for {silent_total * 1000:.0f} ms in all", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
