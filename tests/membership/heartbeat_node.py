"""Run one node's heartbeat loop and print its events as JSON lines (a test driver).

Usage: python3 heartbeat_node.py CONFIG NODE KEYHEX
SIGTERM stops the loop cleanly (a goodbye packet is sent) and prints the statistics.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from types import FrameType

from hafailover.config.loader import load_config
from hafailover.log import configure_logging
from hafailover.membership.detector import DetectorEvent
from hafailover.membership.transport import HeartbeatLoop


def main() -> None:
    configure_logging("json")  # logs to stderr; stdout carries the events
    config = load_config(sys.argv[1])
    node, key = sys.argv[2], bytes.fromhex(sys.argv[3])

    def emit(event: DetectorEvent) -> None:
        print(json.dumps({"t": time.monotonic(), "kind": event.kind, "node": event.node,
                          "link": event.link, "message": event.message}), flush=True)

    loop = HeartbeatLoop(config, node, key, incarnation=time.time_ns() // 1000, on_event=emit)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    thread = threading.Thread(target=loop.run, name="heartbeat")
    thread.start()
    print(json.dumps({"kind": "started", "node": node}), flush=True)
    while thread.is_alive():
        thread.join(0.1)
    stats = loop.stats
    print(json.dumps({"kind": "stats", "sent": stats.sent, "received": stats.received,
                      "dropped": dict(stats.dropped),
                      "max_lateness": stats.max_lateness, "probes_sent": stats.probes_sent,
                      "probes_answered": stats.probes_answered}), flush=True)


if __name__ == "__main__":
    main()
