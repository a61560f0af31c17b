"""YAML with line numbers: a small located tree built from PyYAML's composed nodes.

PyYAML's ``safe_load`` forgets where each value came from and silently keeps the last
of two equal keys. We compose the document instead (``yaml.compose``) and convert the
node graph into ``YMap`` / ``YSeq`` / ``YScalar`` objects that keep the 1-based line of
every key and value. Duplicate keys, unsupported tags and syntax errors become reports.
Aliases are converted once and shared, so an alias bomb costs no more than its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from hafailover.config.scores import parse_score
from hafailover.config.values import DURATION_HELP, parse_duration
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity, did_you_mean

Scalar = str | int | float | bool | None

_YAML_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _YAML_TAG + "merge"


@dataclass(eq=False)
class YScalar:
    line: int
    value: Scalar  # constructed value: str, int, float, bool or None
    text: str  # the scalar as written (without quotes)


@dataclass(eq=False)
class YMap:
    line: int
    entries: dict[str, tuple[int, YNode]] = field(default_factory=dict)  # key -> (line, value)


@dataclass(eq=False)
class YSeq:
    line: int
    items: list[YNode] = field(default_factory=list)


YNode = YScalar | YMap | YSeq


def describe(node: YNode) -> str:
    """What a value is, as shown after ``found:`` in a report."""
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.value is None:
        return "no value (null)"
    if isinstance(node.value, bool):
        return f"{node.text} (a boolean)"
    if isinstance(node.value, str):
        return f"'{node.value}'"
    return node.text


@dataclass
class ParsedYaml:
    root: YNode | None  # None: empty document or unparsable text
    reports: list[Report]


def parse_yaml(text: str, filename: str) -> ParsedYaml:
    """Compose ``text`` into a located tree, reporting every problem found on the way."""
    reports: list[Report] = []
    try:
        composed = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        reports.append(Report(
            code=Code.CONFIG_YAML_SYNTAX, severity=Severity.ERROR,
            message=f"YAML syntax error: {problem}", file=filename,
            line=mark.line + 1 if mark else None,
            hint="check indentation, quoting and the ':' after each key",
        ))
        return ParsedYaml(None, reports)
    except yaml.YAMLError as exc:  # e.g. ReaderError: a control character in the text
        reports.append(Report(
            code=Code.CONFIG_YAML_SYNTAX, severity=Severity.ERROR,
            message=f"YAML error: {exc}", file=filename,
        ))
        return ParsedYaml(None, reports)
    except RecursionError:
        reports.append(Report(
            code=Code.CONFIG_YAML_SYNTAX, severity=Severity.ERROR,
            message="YAML error: the document is nested too deeply", file=filename,
        ))
        return ParsedYaml(None, reports)
    if composed is None:
        return ParsedYaml(None, reports)
    converter = _Converter(filename, reports)
    try:
        root = converter.convert(composed, "")
    except RecursionError:
        reports.append(Report(
            code=Code.CONFIG_YAML_SYNTAX, severity=Severity.ERROR,
            message="YAML error: the document is nested too deeply", file=filename,
        ))
        return ParsedYaml(None, reports)
    return ParsedYaml(root, reports)


def join_path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


class _Converter:
    def __init__(self, filename: str, reports: list[Report]) -> None:
        self.filename = filename
        self.reports = reports
        self.done: dict[int, YNode] = {}
        self.constructor = yaml.SafeLoader("")

    def error(self, code: Code, message: str, line: int, path: str, *,
              found: str | None = None, hint: str | None = None) -> None:
        self.reports.append(Report(code=code, severity=Severity.ERROR, message=message,
                                   file=self.filename, line=line, path=path or None,
                                   found=found, hint=hint))

    def convert(self, node: yaml.Node, path: str) -> YNode:
        known = self.done.get(id(node))
        if known is not None:
            return known
        line = node.start_mark.line + 1
        if not node.tag.startswith(_YAML_TAG):
            self.error(Code.CONFIG_YAML_TAG, f"the YAML tag '{node.tag}' is not supported",
                       line, path, hint="remove the tag; plain YAML values are expected")
        if isinstance(node, yaml.ScalarNode):
            scalar = YScalar(line, self._scalar(node), str(node.value))
            self.done[id(node)] = scalar
            return scalar
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq(line)
            self.done[id(node)] = seq
            for index, item in enumerate(node.value):
                seq.items.append(self.convert(item, f"{path}[{index}]"))
            return seq
        assert isinstance(node, yaml.MappingNode)
        mapping = YMap(line)
        self.done[id(node)] = mapping
        merged: list[YNode] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                value = self.convert(value_node, path)
                merged.extend(value.items if isinstance(value, YSeq) else [value])
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(Code.CONFIG_TYPE, "a key must be a plain word, not a list or mapping",
                           key_line, path)
                continue
            key = str(key_node.value)
            key_path = join_path(path, key)
            if key in mapping.entries:
                first_line = mapping.entries[key][0]
                self.error(Code.CONFIG_DUPLICATE_KEY,
                           f"the key '{key}' appears twice in this mapping", key_line, key_path,
                           found=f"'{key}' again (first at line {first_line})",
                           hint="YAML would silently keep only the last one: remove one")
            mapping.entries[key] = (key_line, self.convert(value_node, key_path))
        for source in merged:
            if not isinstance(source, YMap):
                self.error(Code.CONFIG_TYPE, "a '<<' merge takes a mapping or a list of mappings",
                           source.line, path, found=describe(source))
                continue
            for key, entry in source.entries.items():
                mapping.entries.setdefault(key, entry)
        return mapping

    def _scalar(self, node: yaml.ScalarNode) -> Scalar:
        tag = node.tag
        try:
            if tag == _YAML_TAG + "null":
                return None
            if tag == _YAML_TAG + "bool":
                return bool(self.constructor.construct_yaml_bool(node))
            if tag == _YAML_TAG + "int":
                return int(self.constructor.construct_yaml_int(node))
            if tag == _YAML_TAG + "float":
                return float(self.constructor.construct_yaml_float(node))
        except (ValueError, yaml.YAMLError):
            pass
        return str(node.value)


# --- typed, reported access to the located tree ---------------------------------------


class SourceMap:
    """Where each key path was written, and which paths held invalid values.

    The semantic checks (``validate``) use it to put a line on each report and to stay
    quiet about values that already failed to parse (no cascade of follow-on errors).
    """

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.invalid: set[str] = set()
        self.broken_ids: set[str] = set()  # resources and nodes dropped for their errors

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = parent_path(path)
        return None

    def invalid_under(self, prefix: str) -> bool:
        """Whether anything at or below ``prefix`` failed to parse."""
        return any(p == prefix or p.startswith((prefix + ".", prefix + "["))
                   for p in self.invalid)

    def is_invalid(self, path: str) -> bool:
        while path:
            if path in self.invalid:
                return True
            path = parent_path(path)
        return False


def parent_path(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


class Reader:
    """Turns located YAML into typed values, reporting each problem once, in place."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.reports: list[Report] = []
        self.source = SourceMap()

    def report(self, code: Code, message: str, path: str, *, line: int | None = None,
               severity: Severity = Severity.ERROR, found: str | None = None,
               allowed: str | None = None, hint: str | None = None) -> None:
        if severity is Severity.ERROR:
            self.source.invalid.add(path)
        self.reports.append(Report(
            code=code, severity=severity, message=message, file=self.filename,
            line=line if line is not None else self.source.line(path), path=path or None,
            found=found, allowed=allowed, hint=hint,
        ))

    def type_error(self, node: YNode, path: str, expected: str,
                   hint: str | None = None) -> None:
        self.report(Code.CONFIG_TYPE, f"expected {expected}", path, line=node.line,
                    found=describe(node), allowed=expected, hint=hint)

    def section(self, node: YNode, path: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> Section | None:
        """A mapping with only ``allowed`` keys and every ``required`` key, or None."""
        if not isinstance(node, YMap):
            hint = None
            if isinstance(node, YScalar) and node.value is not None and required and path:
                hint = f"write it as {{{required[0]}: {node.text}}}"
            self.type_error(node, path, "a mapping", hint)
            return None
        self.source.lines.setdefault(path, node.line)
        for key, (line, _value) in node.entries.items():
            key_path = join_path(path, key)
            self.source.lines[key_path] = line
            if key not in allowed:
                self.report(Code.CONFIG_UNKNOWN_KEY, "unknown key", key_path, line=line,
                            found=f"'{key}'", allowed=", ".join(allowed),
                            hint=did_you_mean(key, allowed))
        for key in required:
            entry = node.entries.get(key)
            if entry is None or (isinstance(entry[1], YScalar) and entry[1].value is None):
                self.report(Code.CONFIG_MISSING_KEY, f"'{key}' is required", join_path(path, key),
                            line=entry[0] if entry else node.line)
        return Section(self, node, path)

    def sequence(self, node: YNode, path: str) -> list[tuple[str, YNode]]:
        """The items of a list with their paths; a type error and nothing otherwise."""
        if isinstance(node, YScalar) and node.value is None:
            return []
        if not isinstance(node, YSeq):
            self.type_error(node, path, "a list")
            return []
        items = []
        for index, item in enumerate(node.items):
            item_path = f"{path}[{index}]"
            self.source.lines[item_path] = item.line
            items.append((item_path, item))
        return items


    def names(self, node: YNode, path: str) -> list[str]:
        """A list of names (scalars); a type error for each item that is not one."""
        result = []
        for item_path, item in self.sequence(node, path):
            if not isinstance(item, YScalar) or isinstance(item.value, bool) or item.value is None:
                self.type_error(item, item_path, "a name")
                continue
            result.append(item.text)
        return result


class Section:
    """One mapping being read: typed getters return None when the key is absent or bad."""

    def __init__(self, reader: Reader, node: YMap, path: str) -> None:
        self.reader = reader
        self.node = node
        self.path = path

    def key_path(self, key: str) -> str:
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def get(self, key: str) -> YNode | None:
        entry = self.node.entries.get(key)
        if entry is None:
            return None
        value = entry[1]
        if isinstance(value, YScalar) and value.value is None:
            return None
        return value

    def _scalar(self, key: str, expected: str) -> YScalar | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, YScalar):
            self.reader.type_error(value, self.key_path(key), expected)
            return None
        return value

    def _invalid(self, key: str, message: str, value: YNode, *, allowed: str | None = None,
                 hint: str | None = None) -> None:
        self.reader.report(Code.CONFIG_VALUE, message, self.key_path(key), line=value.line,
                           found=describe(value), allowed=allowed, hint=hint)

    def text(self, key: str) -> str | None:
        value = self._scalar(key, "a string")
        if value is None:
            return None
        if isinstance(value.value, bool):
            self.reader.type_error(value, self.key_path(key), "a string")
            return None
        return value.text

    def integer(self, key: str) -> int | None:
        value = self._scalar(key, "an integer")
        if value is None:
            return None
        if isinstance(value.value, bool) or not isinstance(value.value, int):
            self.reader.type_error(value, self.key_path(key), "an integer")
            return None
        return value.value

    def boolean(self, key: str) -> bool | None:
        value = self._scalar(key, "true or false")
        if value is None:
            return None
        if not isinstance(value.value, bool):
            self.reader.type_error(value, self.key_path(key), "true or false")
            return None
        return value.value

    def duration(self, key: str) -> float | None:
        value = self._scalar(key, "a duration")
        if value is None:
            return None
        if isinstance(value.value, bool) or value.value is None:
            self.reader.type_error(value, self.key_path(key), "a duration")
            return None
        try:
            return parse_duration(value.value)
        except ValueError as exc:
            problem = "a duration cannot be negative" if "negative" in str(exc) else \
                "not a duration"
            self._invalid(key, problem, value, allowed=DURATION_HELP)
            return None

    def score(self, key: str) -> int | None:
        value = self._scalar(key, "a score")
        if value is None:
            return None
        allowed = "an integer, INFINITY or -INFINITY"
        if isinstance(value.value, bool | float):
            self.reader.type_error(value, self.key_path(key), allowed)
            return None
        try:
            return parse_score(value.value if isinstance(value.value, int) else value.text)
        except ValueError:
            self._invalid(key, "not a score", value, allowed=allowed)
            return None

    def choice(self, key: str, allowed: tuple[str, ...],
               aliases: dict[str, str] | None = None) -> str | None:
        text = self.text(key)
        if text is None:
            return None
        if text in allowed:
            return text
        value = self.get(key)
        assert value is not None
        hint = None
        if aliases and text in aliases:
            hint = f"'{text}' is the old name: use '{aliases[text]}'"
        else:
            hint = did_you_mean(text, allowed)
        self._invalid(key, "not one of the allowed values", value,
                      allowed=", ".join(allowed), hint=hint)
        return None

    def string_map(self, key: str) -> dict[str, str] | None:
        """A mapping of names to strings; numbers are accepted and kept as written."""
        value = self.get(key)
        if value is None:
            return None
        path = self.key_path(key)
        if not isinstance(value, YMap):
            self.reader.type_error(value, path, "a mapping of names to values")
            return None
        result: dict[str, str] = {}
        for name, (line, item) in value.entries.items():
            item_path = join_path(path, name)
            self.reader.source.lines[item_path] = line
            if not isinstance(item, YScalar) or isinstance(item.value, bool) or item.value is None:
                self.reader.report(Code.CONFIG_TYPE, "expected a string or a number", item_path,
                                   line=line, found=describe(item),
                                   allowed="a string or a number (quote words like yes/no)")
                continue
            result[name] = item.text
        return result

    def section(self, key: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> Section | None:
        value = self.get(key)
        if value is None:
            return None
        return self.reader.section(value, self.key_path(key), allowed, required)

    def items(self, key: str) -> list[tuple[str, YNode]]:
        value = self.get(key)
        if value is None:
            return []
        return self.reader.sequence(value, self.key_path(key))

    def text_list(self, key: str) -> list[str] | None:
        value = self.get(key)
        if value is None:
            return None
        return self.reader.names(value, self.key_path(key))
