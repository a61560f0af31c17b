"""Running fence agents: real little scripts in tmp_path stand in for fence-agents."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from hafailover.config.model import FenceDevice, frozen_map
from hafailover.fencing.agents import (
    FenceAgentError,
    check_device,
    read_metadata,
    resolve_fence_agent,
    run_fence_agent,
)
from hafailover.fencing.protocol import AgentMetadata, parse_argv, parse_metadata, parse_stdin

pytestmark = pytest.mark.tier0

METADATA = """<?xml version="1.0" ?>
<resource-agent name="fence_toy" shortdesc="toy">
<parameters>
  <parameter name="action" unique="0" required="1"><content type="string"/></parameter>
  <parameter name="plug" unique="0" required="1" obsoletes="port"/>
  <parameter name="port" unique="0" required="0" deprecated="1"/>
  <parameter name="ip" unique="0" required="1" obsoletes="ipaddr"/>
  <parameter name="ipaddr" unique="0" required="0" deprecated="1"/>
  <parameter name="username" unique="0" required="1"/>
  <parameter name="password" unique="0" required="0"/>
</parameters>
</resource-agent>
"""


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def device(agent: str, params: dict[str, str] | None = None, timeout: float = 10.0,
           ) -> FenceDevice:
    return FenceDevice(id="dev1", agent=agent, params=frozen_map(params), timeout=timeout)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_agent_reads_its_parameters_action_and_plug_on_stdin(tmp_path: Path) -> None:
    received = tmp_path / "stdin"
    agent = script(tmp_path, "fence_toy", f"cat > {received}\necho Success: done\n")
    dev = device(agent, {"ip": "10.0.0.1", "username": "admin", "host_map": "n2:blade7"})
    result = asyncio.run(run_fence_agent(dev, "off", "blade7", 10))
    assert result.ok and result.rc == 0 and not result.timed_out
    assert received.read_text().splitlines() == ["ip=10.0.0.1", "username=admin",
                                                 "action=off", "plug=blade7"]
    assert "Success: done" in result.output
    assert result.argv == (agent,)


def test_a_device_cannot_override_the_action_or_plug(tmp_path: Path) -> None:
    received = tmp_path / "stdin"
    agent = script(tmp_path, "fence_toy", f"cat > {received}\n")
    dev = device(agent, {"action": "on", "plug": "other", "port": "other"})
    asyncio.run(run_fence_agent(dev, "off", "n1", 10))
    assert received.read_text().splitlines() == ["action=off", "plug=n1"]


def test_a_failing_agent_is_not_ok_and_says_why(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy",
                   "cat >/dev/null\necho 'Failed: Unable to connect' >&2\nexit 1\n")
    result = asyncio.run(run_fence_agent(device(agent), "off", "n1", 10))
    assert not result.ok and result.rc == 1
    assert result.describe() == "exited 1 (Failed: Unable to connect)"


@pytest.mark.parametrize(("rc", "power"), [(0, "on"), (2, "off")])
def test_status_answers_on_with_0_and_off_with_2(tmp_path: Path, rc: int, power: str) -> None:
    agent = script(tmp_path, "fence_toy", f"cat >/dev/null\nexit {rc}\n")
    result = asyncio.run(run_fence_agent(device(agent), "status", "n1", 10))
    assert result.ok and result.rc == rc and result.power == power


def test_status_error_is_not_ok(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy", "exit 1\n")
    result = asyncio.run(run_fence_agent(device(agent), "status", "n1", 10))
    assert not result.ok and result.power is None


def test_at_the_timeout_the_agent_and_its_children_are_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent = script(tmp_path, "fence_toy",
                   f"sleep 600 &\necho $$ $! > {pids}\nsleep 600\n")
    started = time.monotonic()
    result = asyncio.run(run_fence_agent(device(agent), "off", "n1", 0.5))
    assert time.monotonic() - started < 10
    assert result.timed_out and not result.ok and result.rc is None
    assert result.describe().startswith("timed out after")
    for pid in map(int, pids.read_text().split()):
        assert not alive(pid)


def test_the_device_timeout_is_used_when_none_is_given(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy", "sleep 600\n")
    result = asyncio.run(run_fence_agent(device(agent, timeout=0.3), "off", "n1"))
    assert result.timed_out


def test_output_keeps_only_its_last_part(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy",
                   "i=0\nwhile [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; "
                   "i=$((i+1)); done\necho the-end\n")
    result = asyncio.run(run_fence_agent(device(agent), "off", "n1", 10, output_cap=4096))
    assert result.ok
    assert len(result.output) < 4096 + 100
    assert result.output.startswith("[output truncated]")
    assert result.output.rstrip().endswith("the-end")


def test_a_child_left_running_does_not_hold_up_the_result(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    agent = script(tmp_path, "fence_toy", f"sleep 600 &\necho $! > {pid_file}\nexit 0\n")
    started = time.monotonic()
    result = asyncio.run(run_fence_agent(device(agent), "off", "n1", 30))
    assert result.ok and time.monotonic() - started < 10
    os.kill(int(pid_file.read_text()), 9)


def test_a_missing_agent_is_a_failed_result() -> None:
    result = asyncio.run(run_fence_agent(device("fence_does_not_exist"), "off", "n1", 1))
    assert not result.ok and result.error == "fence agent 'fence_does_not_exist' not found"


def test_a_parameter_with_a_line_break_is_refused_without_running(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    agent = script(tmp_path, "fence_toy", f"touch {ran}\n")
    result = asyncio.run(run_fence_agent(device(agent, {"ip": "1\naction=on"}), "off", "n1"))
    assert not result.ok and "line break" in (result.error or "")
    assert not ran.exists()


def test_agents_are_found_as_builtins_on_path_and_in_sbin(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    assert resolve_fence_agent("fence_lab") == [sys.executable, "-m",
                                                "hafailover.fencing.fence_lab"]
    assert resolve_fence_agent("fence_container") == [sys.executable, "-m",
                                                      "hafailover.fencing.fence_container"]
    agent = script(tmp_path, "fence_toy", "exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_fence_agent("fence_toy") == [agent]
    assert resolve_fence_agent(agent) == [agent]
    assert resolve_fence_agent("fence_nothing_like_this") is None
    assert resolve_fence_agent("relative/fence_toy") is None
    if os.path.exists("/usr/sbin/fence_ipmilan"):  # /usr/sbin is searched without PATH
        assert resolve_fence_agent("fence_ipmilan") == ["/usr/sbin/fence_ipmilan"]


# --- metadata -------------------------------------------------------------------------


def test_metadata_lists_parameters_and_required_ones(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy", f"cat <<'XML'\n{METADATA}XML\n")
    meta = asyncio.run(read_metadata(agent))
    assert meta.parameters == {"action", "plug", "port", "ip", "ipaddr", "username",
                               "password"}
    assert meta.required == {"action", "plug", "ip", "username"}
    assert ("ipaddr", "ip") in meta.replaced_by


def test_metadata_with_a_doctype_is_refused(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy", """cat <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">]>
<resource-agent name="x"><parameters/></resource-agent>
XML
""")
    with pytest.raises(FenceAgentError, match="document type"):
        asyncio.run(read_metadata(agent))


def test_metadata_that_is_not_xml_or_fails_is_an_error(tmp_path: Path) -> None:
    broken = script(tmp_path, "fence_broken", "echo '<resource-agent><parameters>'\n")
    failing = script(tmp_path, "fence_failing", "echo nope >&2\nexit 1\n")
    with pytest.raises(FenceAgentError, match="not well-formed"):
        asyncio.run(read_metadata(broken))
    with pytest.raises(FenceAgentError, match="exited 1: nope"):
        asyncio.run(read_metadata(failing))
    with pytest.raises(FenceAgentError, match="not found"):
        asyncio.run(read_metadata("fence_nothing_like_this"))


def toy_metadata() -> AgentMetadata:
    return parse_metadata(METADATA)


def test_check_device_names_unknown_and_missing_parameters() -> None:
    dev = FenceDevice("ipmi1", "fence_toy", frozen_map({"ip": "10.0.0.1", "usrname": "a",
                                                        "host_map": "n1:x"}))
    assert check_device(dev, toy_metadata()) == [
        "fencing device 'ipmi1': fence_toy has no parameter 'usrname'; "
        "did you mean 'username'?",
        "fencing device 'ipmi1': fence_toy requires parameter 'username'",
    ]


def test_check_device_accepts_a_deprecated_name_for_a_required_parameter() -> None:
    dev = FenceDevice("d", "fence_toy", frozen_map({"ipaddr": "10.0.0.1", "username": "a"}))
    assert check_device(dev, toy_metadata()) == []


def test_check_device_tells_that_the_plug_is_set_by_the_fencer() -> None:
    dev = FenceDevice("d", "fence_toy", frozen_map({"ip": "1", "username": "a",
                                                    "port": "3"}))
    assert check_device(dev, toy_metadata()) == [
        "fencing device 'd': parameter 'port' is set for each node by the fencer; "
        "name the plugs with host_map"]


def test_the_builtin_agents_describe_their_parameters() -> None:
    lab = asyncio.run(read_metadata("fence_lab"))
    container = asyncio.run(read_metadata("fence_container"))
    assert {"action", "plug", "namespace"} <= lab.parameters
    assert {"runtime", "container"} <= container.parameters
    assert check_device(FenceDevice("lab", "fence_lab",
                                    frozen_map({"namespace": "x-{plug}"})), lab) == []


@pytest.mark.skipif(not os.path.exists("/usr/sbin/fence_ipmilan"),
                    reason="Debian's fence-agents is not installed")
def test_fence_ipmilan_metadata_is_read_and_checked() -> None:
    meta = asyncio.run(read_metadata("fence_ipmilan"))
    assert {"ip", "username", "password", "lanplus", "plug"} <= meta.parameters
    good = FenceDevice("ipmi", "fence_ipmilan",
                       frozen_map({"ip": "10.0.0.1", "username": "a", "password": "b",
                                   "lanplus": "1"}))
    assert check_device(good, meta) == []
    typo = FenceDevice("ipmi", "fence_ipmilan", frozen_map({"ip": "10.0.0.1",
                                                            "pasword": "b"}))
    assert check_device(typo, meta) == [
        "fencing device 'ipmi': fence_ipmilan has no parameter 'pasword'; "
        "did you mean 'password'?"]


# --- the request side of the protocol, as the built-in agents read it ----------------


def test_stdin_requests_take_key_value_lines_and_old_names() -> None:
    request = parse_stdin("# comment\naction=off\nport=n2\n\nnamespace=x-{plug}\nbogus\n")
    assert (request.action, request.plug) == ("off", "n2")
    assert request.params == {"namespace": "x-{plug}"}
    assert request.ignored == ("bogus",)


def test_command_line_requests_take_short_and_long_options() -> None:
    request = parse_argv(["-o", "status", "-n", "n1", "--namespace=lab-{plug}",
                          "--runtime", "podman"])
    assert (request.action, request.plug) == ("status", "n1")
    assert request.params == {"namespace": "lab-{plug}", "runtime": "podman"}


def test_the_default_action_is_reboot_as_in_fence_agents() -> None:
    assert parse_stdin("plug=n1\n").action == "reboot"


def test_the_reason_quoted_is_the_agents_error_line_not_its_usage_hint(tmp_path: Path) -> None:
    agent = script(tmp_path, "fence_toy", """cat >/dev/null
echo 'DeprecationWarning: something' >&2
echo '2026-01-01 10:00:00,000 ERROR: Unable to connect/login to fencing device' >&2
echo "2026-01-01 10:00:00,001 ERROR: Please use '-h' for usage" >&2
exit 1
""")
    result = asyncio.run(run_fence_agent(device(agent), "off", "n1", 10))
    assert result.describe() == "exited 1 (ERROR: Unable to connect/login to fencing device)"


@pytest.mark.skipif(not os.path.exists("/usr/sbin/fence_ipmilan"),
                    reason="Debian's fence-agents is not installed")
def test_fence_ipmilan_runs_unmodified_and_its_failure_is_explained() -> None:
    dev = FenceDevice("ipmi", "fence_ipmilan",
                      frozen_map({"ip": "127.0.0.1", "username": "a", "password": "b",
                                  "ipmitool_path": "/nonexistent/ipmitool"}), timeout=30)
    result = asyncio.run(run_fence_agent(dev, "status", "n1"))
    assert not result.ok and result.rc == 1
    assert "ERROR: " in result.describe() and "-h" not in result.describe()
