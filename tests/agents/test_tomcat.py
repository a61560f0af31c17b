"""ocf:hafailover:tomcat against a real Tomcat 10 in its own network namespace.

The instance is a CATALINA_BASE made like Debian's /var/lib/tomcat10 (its conf/ from
/etc/tomcat10, HTTP on 8080, shutdown port disabled) with a one-page ROOT webapp.
The JVM is kept small (-Xmx128m, serial GC, C1 only): the machine is shared.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import MakeAgent, OcfAgent, curl, require_root_and, wait_for, world_readable_tempdir
from hafailover.lab.netns import Netns, namespace

pytestmark = pytest.mark.tier1

CATALINA_HOME = Path("/usr/share/tomcat10")
DEBIAN_CONF = Path("/etc/tomcat10")
require_root_and("java")
if not (CATALINA_HOME / "bin" / "catalina.sh").is_file():
    pytest.skip("tomcat10 is not installed (run scripts/setup.sh)", allow_module_level=True)

OCF_SUCCESS, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 5, 6, 7
URL = "http://127.0.0.1:8080/"
PAGE = "hello from tomcat\n"
TOMCAT_USER = "tomcat"  # made by Debian's tomcat10 package
JAVA_OPTS = "-Djava.awt.headless=true -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"


def make_catalina_base(base: Path) -> Path:
    """What makebase.sh does, with Debian's conf (which lives in /etc/tomcat10)."""
    for sub in ("bin", "conf", "lib", "logs", "temp", "work", "webapps/ROOT"):
        (base / sub).mkdir(parents=True)
    for conf in DEBIAN_CONF.iterdir():
        if conf.is_file():
            shutil.copy(conf, base / "conf" / conf.name)
    (base / "webapps" / "ROOT" / "index.html").write_text(PAGE)
    return base


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = world_readable_tempdir("hafailover-tomcat-")
    make_catalina_base(path / "base")
    broken = make_catalina_base(path / "broken-base")
    server_xml = broken / "conf" / "server.xml"
    server_xml.write_text(server_xml.read_text()[:-40])  # cut off the closing tags
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def ns() -> Iterator[Netns]:
    with namespace(f"hfa-tomcat-{os.getpid()}") as ns:
        yield ns


@pytest.fixture(scope="module")
def tomcat(make_agent: MakeAgent, ns: Netns, workdir: Path) -> Iterator[OcfAgent]:
    agent: OcfAgent = make_agent("tomcat", ns, {
        "catalina_home": str(CATALINA_HOME),
        "catalina_base": str(workdir / "base"),
        "pidfile": str(workdir / "tomcat.pid"),
        "status_url": URL,
        "start_timeout": "60",
        "stop_timeout": "15",
        "java_opts": JAVA_OPTS,
    })
    result = agent.run("start")
    assert result.rc == OCF_SUCCESS, result
    yield agent
    agent.run("stop")


@pytest.fixture
def running(tomcat: OcfAgent) -> OcfAgent:
    """The module's tomcat, started again if an earlier test left it stopped."""
    return tomcat.started()


def jvm_pid(agent: OcfAgent) -> int:
    return agent.pid_from(agent.params["pidfile"])


def test_monitor_reports_running_after_start(running: OcfAgent) -> None:
    result = running.run("monitor")
    assert result.rc == OCF_SUCCESS, result


def test_root_webapp_answers(running: OcfAgent, ns: Netns) -> None:
    answer = curl(ns, URL)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == PAGE


def test_killed_jvm_is_reported_not_running_and_starts_again(running: OcfAgent,
                                                             ns: Netns) -> None:
    os.kill(jvm_pid(running), signal.SIGKILL)
    assert wait_for(lambda: running.run("monitor").rc == OCF_NOT_RUNNING, timeout=5)

    result = running.run("start")
    assert result.rc == OCF_SUCCESS, result
    assert curl(ns, URL).stdout == PAGE


def test_start_after_stop_serves_again(running: OcfAgent, ns: Netns) -> None:
    result = running.run("stop")
    assert result.rc == OCF_SUCCESS, result
    assert running.run("monitor").rc == OCF_NOT_RUNNING
    assert curl(ns, URL, timeout=1).returncode != 0

    assert running.run("start").rc == OCF_SUCCESS
    assert running.run("monitor").rc == OCF_SUCCESS
    assert curl(ns, URL).stdout == PAGE


def test_stopping_twice_succeeds(running: OcfAgent) -> None:
    assert running.run("stop").rc == OCF_SUCCESS
    second = running.run("stop")
    assert second.rc == OCF_SUCCESS, second


def test_stop_through_the_shutdown_port(tomcat: OcfAgent, workdir: Path) -> None:
    """With a shutdown port in server.xml, stop goes through catalina.sh stop."""
    assert tomcat.run("stop").rc == OCF_SUCCESS
    server_xml = workdir / "base" / "conf" / "server.xml"
    original = server_xml.read_text()
    server_xml.write_text(original.replace('<Server port="-1"', '<Server port="8005"', 1))
    try:
        assert tomcat.run("start").rc == OCF_SUCCESS
        pid = jvm_pid(tomcat)
        result = tomcat.run("stop")
        assert result.rc == OCF_SUCCESS, result
        assert not Path(f"/proc/{pid}").exists()
        log = (workdir / "base" / "logs" / "catalina.out").read_text()
        assert "A valid shutdown command was received via the shutdown port" in log
    finally:
        server_xml.write_text(original)


def test_runs_as_the_configured_user(tomcat: OcfAgent, ns: Netns, workdir: Path) -> None:
    assert tomcat.run("stop").rc == OCF_SUCCESS
    uid = pwd.getpwnam(TOMCAT_USER).pw_uid
    for path in [workdir / "base", *(workdir / "base").rglob("*")]:
        os.chown(path, uid, -1)
    pidfile = workdir / "run" / "tomcat.pid"  # the agent gives the directory to the user

    result = tomcat.run("start", user=TOMCAT_USER, pidfile=str(pidfile))
    assert result.rc == OCF_SUCCESS, result
    try:
        assert Path(f"/proc/{tomcat.pid_from(str(pidfile))}").stat().st_uid == uid
        assert curl(ns, URL).stdout == PAGE
    finally:
        assert tomcat.run("stop", user=TOMCAT_USER, pidfile=str(pidfile)).rc == OCF_SUCCESS
    assert tomcat.run("monitor", pidfile=str(pidfile)).rc == OCF_NOT_RUNNING


def test_validate_rejects_an_unknown_user(tomcat: OcfAgent) -> None:
    result = tomcat.run("validate-all", user="no-such-user-here")
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "no-such-user-here" in result.exit_reason


def test_validate_names_a_missing_java(tomcat: OcfAgent) -> None:
    result = tomcat.run("validate-all", java_home="/nonexistent/jvm")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/jvm/bin/java" in result.exit_reason


def test_validate_names_a_missing_catalina_home(tomcat: OcfAgent) -> None:
    result = tomcat.run("validate-all", catalina_home="/nonexistent/tomcat")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/tomcat" in result.exit_reason


def test_validate_rejects_a_catalina_base_that_does_not_exist(tomcat: OcfAgent) -> None:
    result = tomcat.run("validate-all", catalina_base="/nonexistent/base")
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "/nonexistent/base" in result.exit_reason


def test_validate_rejects_a_malformed_server_xml(tomcat: OcfAgent, workdir: Path) -> None:
    result = tomcat.run("validate-all", catalina_base=str(workdir / "broken-base"))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "broken-base/conf/server.xml" in result.exit_reason
    assert "not well-formed" in result.exit_reason


def test_ocf_tester_passes(tomcat: OcfAgent) -> None:
    result = tomcat.ocf_tester()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout
