"""The cluster-state document on disk: atomic saves, checked loads, damaged files set aside.

A save never leaves a half-written file under the real name: the JSON goes to a
temporary file in the same directory, is flushed to the disk, and then renamed over the
old file; the directory is flushed too, so the rename survives a power loss. Every file
carries a checksum of its content, so a truncated or hand-edited file is detected on load
instead of being trusted (docs/state.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hafailover.store.document import Document, DocumentError, canonical_json, from_json, to_json

CHECKSUM_KEY = "checksum"
CHECKSUM_PREFIX = "sha256:"
DIRECTORY_MODE = 0o700
QUARANTINE_INFIX = ".corrupt-"


class StateFileError(Exception):
    """The state file exists but cannot be trusted; ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def checksum(body: dict[str, Any]) -> str:
    return CHECKSUM_PREFIX + hashlib.sha256(canonical_json(body)).hexdigest()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def save(path: Path, doc: Document) -> None:
    """Write ``doc`` to ``path`` atomically: afterwards the file holds the old or the new
    document in full, never a mix, even if the machine loses power."""
    body = to_json(doc)
    text = json.dumps({**body, CHECKSUM_KEY: checksum(body)}, indent=2, sort_keys=True,
                      ensure_ascii=False, allow_nan=False) + "\n"
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=DIRECTORY_MODE, parents=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.",
                                             suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise StateFileError(path, "empty (the file is damaged)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StateFileError(path, f"not UTF-8 text at byte {error.start} "
                                   "(the file is damaged)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateFileError(path, f"not valid JSON at line {error.lineno} column "
                                   f"{error.colno} (the file is damaged)") from None
    if not isinstance(data, dict):
        raise StateFileError(path, f"expected a JSON object, found {type(data).__name__} "
                                   "(the file is damaged)")
    return data


def load(path: Path) -> Document | None:
    """The document saved at ``path``, or None when there is no file.

    Raises ``StateFileError`` when the file is there but damaged (the caller may then
    ``quarantine`` it). Errors reading the file at all, such as a permission problem,
    are left as ``OSError``: they say nothing about the file's content.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    data = _parse(path, raw)
    recorded = data.pop(CHECKSUM_KEY, None)
    if not isinstance(recorded, str):
        raise StateFileError(path, "no checksum (the file was not written by hafailover)")
    try:
        computed = checksum(data)
    except ValueError:  # NaN or Infinity, which a saved file never holds
        computed = ""
    if recorded != computed:
        raise StateFileError(path, "checksum mismatch (the file was truncated or edited "
                                   "by hand)")
    try:
        return from_json(data)
    except DocumentError as error:
        raise StateFileError(path, str(error)) from None


def quarantine(path: Path, *, now: datetime | None = None) -> Path:
    """Rename a damaged file aside to ``<name>.corrupt-<UTC time>`` and return its new
    path. Nothing is deleted: an operator can still read or restore it."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{QUARANTINE_INFIX}{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}{QUARANTINE_INFIX}{stamp}-{counter}")
        counter += 1
    os.rename(path, target)
    _fsync_directory(path.parent)
    return target
