"""ocf:hafailover:haproxy against a real HAProxy in its own network namespace.

HAProxy listens on 127.0.0.1:8080 and proxies to a static web server on :8081; the
runtime API socket is given as stats_socket so monitor asks it "show info".
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import (
    MakeAgent,
    OcfAgent,
    curl,
    request_loop,
    require_root_and,
    start_http_backend,
    stop_process,
    wait_for,
    world_readable_tempdir,
)
from hafailover.lab.netns import Netns, namespace

pytestmark = pytest.mark.tier1
require_root_and("haproxy")

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 1, 5, 6, 7
URL = "http://127.0.0.1:8080/"

CONFIG = """\
global
    stats socket {workdir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:8080
    default_backend app
backend app
    server app1 127.0.0.1:8081
"""


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = world_readable_tempdir("hafailover-haproxy-")
    (path / "www").mkdir()
    (path / "www" / "index.html").write_text("hello through haproxy\n")
    (path / "haproxy.cfg").write_text(CONFIG.format(workdir=path))
    (path / "broken.cfg").write_text(CONFIG.format(workdir=path)
                                     + "    no_such_keyword on\n")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def ns(workdir: Path) -> Iterator[Netns]:
    with namespace(f"hfa-haproxy-{os.getpid()}") as ns:
        backend = start_http_backend(ns, workdir / "www", 8081)
        yield ns
        stop_process(backend)


@pytest.fixture(scope="module")
def haproxy(make_agent: MakeAgent, ns: Netns, workdir: Path) -> Iterator[OcfAgent]:
    agent: OcfAgent = make_agent("haproxy", ns, {
        "config": str(workdir / "haproxy.cfg"),
        "pidfile": str(workdir / "haproxy.pid"),
        "stats_socket": str(workdir / "admin.sock"),
        "grace": "2",
    })
    result = agent.run("start")
    assert result.rc == OCF_SUCCESS, result
    yield agent
    agent.run("stop")


@pytest.fixture
def running(haproxy: OcfAgent) -> OcfAgent:
    """The module's haproxy, started again if an earlier test left it stopped."""
    return haproxy.started()


def master_pid(agent: OcfAgent) -> int:
    return agent.pid_from(agent.params["pidfile"])


def test_monitor_reports_running_after_start(running: OcfAgent) -> None:
    result = running.run("monitor")
    assert result.rc == OCF_SUCCESS, result


def test_http_request_is_proxied_to_the_backend(running: OcfAgent, ns: Netns) -> None:
    answer = curl(ns, URL)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "hello through haproxy\n"


def test_start_of_a_running_haproxy_keeps_the_same_master(running: OcfAgent) -> None:
    before = master_pid(running)
    assert running.run("start").rc == OCF_SUCCESS
    assert master_pid(running) == before


def test_killed_haproxy_is_reported_not_running_and_starts_again(running: OcfAgent,
                                                                 ns: Netns) -> None:
    os.kill(master_pid(running), signal.SIGKILL)
    assert wait_for(lambda: running.run("monitor").rc == OCF_NOT_RUNNING, timeout=5)

    result = running.run("start")
    assert result.rc == OCF_SUCCESS, result
    assert curl(ns, URL).stdout == "hello through haproxy\n"


def test_start_after_stop_serves_again(running: OcfAgent, ns: Netns) -> None:
    assert running.run("stop").rc == OCF_SUCCESS
    assert running.run("monitor").rc == OCF_NOT_RUNNING
    assert curl(ns, URL, timeout=1).returncode != 0

    assert running.run("start").rc == OCF_SUCCESS
    assert running.run("monitor").rc == OCF_SUCCESS
    assert curl(ns, URL).stdout == "hello through haproxy\n"


def test_stopping_twice_succeeds(running: OcfAgent) -> None:
    assert running.run("stop").rc == OCF_SUCCESS
    second = running.run("stop")
    assert second.rc == OCF_SUCCESS, second


def test_probe_on_a_node_without_haproxy_says_not_running(haproxy: OcfAgent) -> None:
    assert haproxy.run("stop").rc == OCF_SUCCESS
    probe = haproxy.run("monitor", binary="/nonexistent/sbin/haproxy", CRM_meta_interval="0")
    assert probe.rc == OCF_NOT_RUNNING, probe


def test_monitor_judges_the_running_process_not_the_files(running: OcfAgent,
                                                         workdir: Path) -> None:
    result = running.run("monitor", config=str(workdir / "absent.cfg"),
                         binary="/nonexistent/sbin/haproxy")
    assert result.rc == OCF_SUCCESS, result


def test_reload_keeps_serving_every_request(running: OcfAgent, ns: Netns) -> None:
    workers_before = set(ns.run(["pgrep", "-P", str(master_pid(running))]).stdout.split())
    client = request_loop(ns, URL, seconds=4)
    time.sleep(0.5)  # let the client get going
    for _ in range(3):
        result = running.run("reload")
        assert result.rc == OCF_SUCCESS, result
        time.sleep(0.4)
    out, err = client.communicate(timeout=30)
    ok, failed, first_error = [*out.decode().split(maxsplit=2), ""][:3]

    assert int(failed) == 0, f"{failed} requests failed during reload, first: {first_error}"
    assert int(ok) > 20, f"only {ok} requests went through: {err.decode()}"
    workers_after = set(ns.run(["pgrep", "-P", str(master_pid(running))]).stdout.split())
    assert workers_after - workers_before, "reload did not start a new worker"


def test_reload_with_a_broken_config_is_refused_and_keeps_serving(running: OcfAgent,
                                                                  ns: Netns,
                                                                  workdir: Path) -> None:
    result = running.run("reload", config=str(workdir / "broken.cfg"))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "no_such_keyword" in result.exit_reason
    assert curl(ns, URL).stdout == "hello through haproxy\n"


def test_validate_names_a_missing_binary(running: OcfAgent) -> None:
    result = running.run("validate-all", binary="/nonexistent/sbin/haproxy")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/sbin/haproxy" in result.exit_reason


def test_validate_reports_haproxys_own_message_for_a_broken_config(running: OcfAgent,
                                                                   workdir: Path) -> None:
    broken = workdir / "broken.cfg"
    result = running.run("validate-all", config=str(broken))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert str(broken) in result.exit_reason
    assert "unknown keyword 'no_such_keyword'" in result.exit_reason


def test_validate_names_a_missing_config_file(running: OcfAgent, workdir: Path) -> None:
    result = running.run("validate-all", config=str(workdir / "absent.cfg"))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "absent.cfg" in result.exit_reason


def test_monitor_fails_when_the_runtime_api_does_not_answer(running: OcfAgent,
                                                           workdir: Path) -> None:
    result = running.run("monitor", stats_socket=str(workdir / "no-such.sock"))
    assert result.rc == OCF_ERR_GENERIC, result
    assert "no-such.sock" in result.exit_reason


def test_ocf_tester_passes(haproxy: OcfAgent) -> None:
    result = haproxy.ocf_tester()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout
