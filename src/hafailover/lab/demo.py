"""The lab's demo service: a VIP and haproxy in front of two small HTTP backends.

The templates are ``examples/lab/cluster.yaml`` (what follows the generated cluster,
nodes and heartbeat sections) and ``examples/lab/haproxy.cfg``; their ``${name}``
placeholders are filled in here from the lab's spec.
"""

from __future__ import annotations

import sys
from pathlib import Path
from string import Template

from hafailover.lab.cluster import LabError, LabSpec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "lab"
CONFIG_TEMPLATE = EXAMPLES / "cluster.yaml"
HAPROXY_TEMPLATE = EXAMPLES / "haproxy.cfg"
HAPROXY_FILE = "haproxy.cfg"
VIP_HOST = 100
BACKEND_PORT = 8080
GROUP = "web"


def vip(spec: LabSpec) -> str:
    return f"10.{spec.subnet}.0.{VIP_HOST}"


def placeholders(spec: LabSpec, workdir: Path) -> dict[str, str]:
    return {"prefix": spec.prefix, "vip": vip(spec), "subnet": str(spec.subnet),
            "haproxy_cfg": str(workdir / HAPROXY_FILE), "python": sys.executable,
            "backend_port": str(BACKEND_PORT)}


def render(template: Path, values: dict[str, str]) -> str:
    """The template with its placeholders filled in; an unknown one is an error that
    names it."""
    try:
        text = template.read_text()
    except OSError as error:
        raise LabError(f"cannot read {template}: {error.strerror}") from None
    try:
        return Template(text).substitute(values)
    except KeyError as error:
        raise LabError(f"{template}: unknown placeholder ${{{error.args[0]}}} (known: "
                       f"{', '.join(sorted(values))})") from None
    except ValueError as error:
        raise LabError(f"{template}: {error} (write $$ for a dollar sign)") from None


def extra_yaml(spec: LabSpec, workdir: Path, config: Path | None = None) -> str:
    """The configuration after the generated sections: the demo's, or ``config``'s."""
    return render(config or CONFIG_TEMPLATE, placeholders(spec, workdir))


def haproxy_config(spec: LabSpec) -> str:
    servers = "\n".join(
        f"    server {node} {spec.address(node)}:{BACKEND_PORT} "
        "check inter 500ms fall 2 rise 2" for node in spec.node_names)
    return render(HAPROXY_TEMPLATE, {"vip": vip(spec), "servers": servers})
