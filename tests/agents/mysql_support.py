"""Helpers for the tests of ocf:hafailover:mysql: queries through a server's socket."""

from __future__ import annotations

import os
import subprocess
import time

from hafailover.lab.netns import Netns

CLIENT = "mariadb"
# Small and quick: these servers hold a handful of rows.
SERVER_OPTIONS = ("--innodb-buffer-pool-size=16M --innodb-log-file-size=8M --skip-name-resolve "
                  "--performance-schema=OFF --max-connections=20")


def sql(ns: Netns, socket: str, statement: str, *, user: str = "root",
        password: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run STATEMENT through SOCKET inside NS; tab-separated output without headers."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if password is not None:
        env["MYSQL_PWD"] = password
    return ns.run([CLIENT, "--no-defaults", f"--socket={socket}", f"--user={user}",
                   "--batch", "--skip-column-names", "-e", statement],
                  check=check, timeout=30, env=env)


def scalar(ns: Netns, socket: str, statement: str) -> str:
    return sql(ns, socket, statement).stdout.strip()


def rows(ns: Netns, socket: str, statement: str) -> list[str]:
    return sql(ns, socket, statement).stdout.split()


def wait_for_value(ns: Netns, socket: str, statement: str, expected: str,
                   timeout: float = 20.0) -> str:
    """Poll until STATEMENT returns EXPECTED (replication is asynchronous).

    Returns the last value seen, so a failed assertion shows it.
    """
    deadline = time.monotonic() + timeout
    value = ""
    while time.monotonic() < deadline:
        result = sql(ns, socket, statement, check=False)
        value = result.stdout.strip()
        if result.returncode == 0 and value == expected:
            return value
        time.sleep(0.2)
    return value
