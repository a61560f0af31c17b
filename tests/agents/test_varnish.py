"""ocf:hafailover:varnish against a real Varnish in its own network namespace.

Varnish listens on 127.0.0.1:6081 (management on :6082) and caches a static web
server on :8081; monitor also fetches monitor_url through Varnish.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import (
    MakeAgent,
    OcfAgent,
    curl,
    require_root_and,
    start_http_backend,
    stop_process,
    wait_for,
    world_readable_tempdir,
)
from hafailover.lab.netns import Netns, namespace

pytestmark = pytest.mark.tier1
require_root_and("varnishd", "varnishadm")

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 1, 5, 6, 7
URL = "http://127.0.0.1:6081/"

VCL = """\
vcl 4.1;
backend app { .host = "127.0.0.1"; .port = "8081"; }
sub vcl_deliver { set resp.http.X-Served-By = "varnish"; }
"""
BROKEN_VCL = """\
vcl 4.1;
backend app { .host = "127.0.0.1"; .port = "8081"; }
sub vcl_recv { set req.no_such_variable = "x"; }
"""


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = world_readable_tempdir("hafailover-varnish-")
    (path / "www").mkdir()
    (path / "www" / "index.html").write_text("hello through varnish\n")
    (path / "default.vcl").write_text(VCL)
    (path / "broken.vcl").write_text(BROKEN_VCL)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def ns(workdir: Path) -> Iterator[Netns]:
    with namespace(f"hfa-varnish-{os.getpid()}") as ns:
        backend = start_http_backend(ns, workdir / "www", 8081)
        yield ns
        stop_process(backend)


@pytest.fixture(scope="module")
def varnish(make_agent: MakeAgent, ns: Netns, workdir: Path) -> Iterator[OcfAgent]:
    agent: OcfAgent = make_agent("varnish", ns, {
        "vcl": str(workdir / "default.vcl"),
        "listen_address": "127.0.0.1:6081",
        "admin_address": "127.0.0.1:6082",
        "storage": "malloc,32M",
        "name": str(workdir / "instance"),
        "pidfile": str(workdir / "varnishd.pid"),
        "monitor_url": URL,
        "extra_args": "-p thread_pools=1 -p thread_pool_min=5",
    })
    result = agent.run("start")
    assert result.rc == OCF_SUCCESS, result
    yield agent
    agent.run("stop")


@pytest.fixture
def running(varnish: OcfAgent) -> OcfAgent:
    """The module's varnish, started again if an earlier test left it stopped."""
    return varnish.started()


def manager_pid(agent: OcfAgent) -> int:
    return agent.pid_from(agent.params["pidfile"])


def fetch(ns: Netns) -> tuple[str, str]:
    """(body, headers) of a GET through varnish."""
    answer = ns.run(["curl", "-sS", "-m", "5", "-D", "-", URL], check=False, timeout=10)
    assert answer.returncode == 0, answer.stderr
    # text mode has turned the CRLFs into newlines
    headers, _, body = answer.stdout.partition("\n\n")
    return body, headers


def test_monitor_reports_running_after_start(running: OcfAgent) -> None:
    result = running.run("monitor")
    assert result.rc == OCF_SUCCESS, result


def test_http_request_is_served_through_varnish(running: OcfAgent, ns: Netns) -> None:
    body, headers = fetch(ns)
    assert body == "hello through varnish\n"
    assert "X-Served-By: varnish" in headers


def test_killed_varnish_is_reported_not_running_and_starts_again(running: OcfAgent,
                                                                 ns: Netns) -> None:
    os.kill(manager_pid(running), signal.SIGKILL)
    assert wait_for(lambda: running.run("monitor").rc == OCF_NOT_RUNNING, timeout=5)

    result = running.run("start")
    assert result.rc == OCF_SUCCESS, result
    assert fetch(ns)[0] == "hello through varnish\n"


def test_start_after_stop_serves_again(running: OcfAgent, ns: Netns) -> None:
    assert running.run("stop").rc == OCF_SUCCESS
    assert running.run("monitor").rc == OCF_NOT_RUNNING
    assert curl(ns, URL, timeout=1).returncode != 0

    assert running.run("start").rc == OCF_SUCCESS
    assert running.run("monitor").rc == OCF_SUCCESS
    assert fetch(ns)[0] == "hello through varnish\n"


def test_stopping_twice_succeeds(running: OcfAgent) -> None:
    assert running.run("stop").rc == OCF_SUCCESS
    second = running.run("stop")
    assert second.rc == OCF_SUCCESS, second


def test_monitor_fails_when_the_http_probe_fails(running: OcfAgent) -> None:
    result = running.run("monitor", monitor_url="http://127.0.0.1:6099/")
    assert result.rc == OCF_ERR_GENERIC, result
    assert "http://127.0.0.1:6099/" in result.exit_reason


def test_monitor_without_varnishadm_is_an_installation_error(running: OcfAgent) -> None:
    result = running.run("monitor", client_binary="/nonexistent/bin/varnishadm")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/bin/varnishadm" in result.exit_reason


def test_validate_names_a_missing_binary(running: OcfAgent) -> None:
    result = running.run("validate-all", binary="/nonexistent/sbin/varnishd")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/sbin/varnishd" in result.exit_reason


def test_validate_reports_the_vcl_compiler_message(running: OcfAgent, workdir: Path) -> None:
    broken = workdir / "broken.vcl"
    result = running.run("validate-all", vcl=str(broken))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert str(broken) in result.exit_reason
    assert "no_such_variable" in result.exit_reason


def test_start_with_a_vcl_that_does_not_compile_is_a_configuration_error(
        varnish: OcfAgent, workdir: Path) -> None:
    assert varnish.run("stop").rc == OCF_SUCCESS
    result = varnish.run("start", vcl=str(workdir / "broken.vcl"))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert varnish.run("monitor").rc == OCF_NOT_RUNNING


def test_ocf_tester_passes(varnish: OcfAgent) -> None:
    result = varnish.ocf_tester()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout
