"""The fence-agents protocol, both sides of it. Pure.

An agent reads ``key=value`` lines on its standard input (or, when it has command-line
arguments, ``-o ACTION -n PLUG --key=value``) and answers with its exit code: 0 for
success (for ``status``: the target is on), 2 for ``status`` when the target is off,
1 for an error. ``metadata`` prints XML describing the parameters. This module reads
requests for the built-in agents, writes their metadata, and parses any agent's
metadata for the fencer.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_OFF = 2  # status: the target is powered off

ACTIONS = ("off", "on", "reboot", "status", "monitor", "list", "metadata", "validate-all")
# Parameters every agent takes and the fencer sets itself: a device does not set them.
RESERVED = frozenset({"action", "plug", "port", "nodename"})
# Old names still accepted on standard input.
_ALIASES = {"port": "plug", "option": "action"}

MAX_METADATA_BYTES = 1024 * 1024


class MetadataError(ValueError):
    """An agent's metadata is not XML this parser accepts."""


@dataclass(frozen=True)
class Request:
    """What an agent was asked: the action, the plug and every other parameter."""

    action: str
    plug: str
    params: dict[str, str]
    ignored: tuple[str, ...] = ()  # input lines that were not key=value


def parse_stdin(text: str) -> Request:
    """``key=value`` lines; blank lines and ``#`` comments are skipped; the last value
    of a key wins."""
    params: dict[str, str] = {}
    ignored = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            ignored.append(line)
            continue
        key = key.strip()
        params[_ALIASES.get(key, key)] = value.strip()
    return _request(params, ignored)


def parse_argv(argv: Sequence[str]) -> Request:
    """``-o ACTION``, ``-n PLUG`` and ``--key=value`` / ``--key value`` options (a dash
    in a key is an underscore), as fence-agents take them."""
    params: dict[str, str] = {}
    ignored = []
    short = {"-o": "action", "-n": "plug"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        key: str | None = None
        value: str | None = None
        if arg in short:
            key = short[arg]
        elif arg.startswith("--") and len(arg) > 2:
            key, sep, rest = arg[2:].partition("=")
            key = key.replace("-", "_")
            if sep:
                value = rest
        if key is None:
            ignored.append(arg)
            i += 1
            continue
        if value is None:
            if i + 1 < len(argv):
                value = argv[i + 1]
                i += 1
            else:
                value = ""
        params[_ALIASES.get(key, key)] = value
        i += 1
    return _request(params, ignored)


def _request(params: dict[str, str], ignored: list[str]) -> Request:
    action = params.pop("action", "reboot") or "reboot"
    plug = params.pop("plug", "")
    return Request(action=action, plug=plug, params=params, ignored=tuple(ignored))


def read_request(argv: Sequence[str], stdin_text: str | None) -> Request:
    """Command-line arguments when there are any, otherwise standard input."""
    if argv:
        return parse_argv(argv)
    return parse_stdin(stdin_text or "")


# --- metadata ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    description: str
    default: str | None = None
    required: bool = False


def metadata_xml(name: str, description: str, parameters: Iterable[ParameterSpec]) -> str:
    """Metadata in the form fence-agents print it (what Pacemaker's ``stonith_admin
    --metadata`` and our ``read_metadata`` read)."""
    root = ET.Element("resource-agent", name=name, shortdesc=description)
    ET.SubElement(root, "longdesc").text = description
    params = ET.SubElement(root, "parameters")
    standard = [
        ParameterSpec("action", "Fencing action", "reboot", required=True),
        ParameterSpec("plug", "The node's name for this device (see host_map)",
                      required=True),
    ]
    for spec in [*standard, *parameters]:
        attrs = {"name": spec.name, "unique": "0", "required": "1" if spec.required else "0"}
        if spec.name == "plug":
            attrs["obsoletes"] = "port"
        element = ET.SubElement(params, "parameter", attrs)
        ET.SubElement(element, "getopt", mixed=_getopt(spec.name))
        content = ET.SubElement(element, "content", type="string")
        if spec.default is not None:
            content.set("default", spec.default)
        ET.SubElement(element, "shortdesc", lang="en").text = spec.description
    actions = ET.SubElement(root, "actions")
    for action in ACTIONS:
        ET.SubElement(actions, "action", name=action)
    ET.indent(root)
    return '<?xml version="1.0" ?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _getopt(name: str) -> str:
    flag = {"action": "-o, ", "plug": "-n, "}.get(name, "")
    return f"{flag}--{name.replace('_', '-')}=[{name}]"


@dataclass(frozen=True)
class AgentMetadata:
    """The parameters an agent declares, and which of them it requires."""

    parameters: frozenset[str]
    required: frozenset[str]
    # old name -> the name that replaces it (``obsoletes="ipaddr"`` on ``ip``)
    replaced_by: tuple[tuple[str, str], ...] = ()


def parse_metadata(text: str) -> AgentMetadata:
    """The ``<parameter name=... required=...>`` elements of an agent's metadata.

    Only plain XML is accepted: a document type declaration (where entity expansion
    attacks live) is refused, and so is a document over ``MAX_METADATA_BYTES``.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_METADATA_BYTES:
        raise MetadataError(f"metadata larger than {MAX_METADATA_BYTES} bytes")
    start = text.find("<")
    if start < 0:
        raise MetadataError("no XML in the metadata output")
    body = text[start:]
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        raise MetadataError("metadata with a document type declaration is not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MetadataError(f"metadata is not well-formed XML: {exc}") from None
    if root.tag != "resource-agent":
        raise MetadataError(f"metadata root element is <{root.tag}>, not <resource-agent>")
    names, required, replaced = set(), set(), []
    for element in root.iter("parameter"):
        name = element.get("name")
        if not name:
            continue
        names.add(name)
        if element.get("required") in ("1", "true", "yes"):
            required.add(name)
        old = element.get("obsoletes")
        if old:
            replaced.append((old, name))
    return AgentMetadata(frozenset(names), frozenset(required), tuple(sorted(replaced)))
