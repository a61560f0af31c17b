"""This node's copy of the replicated cluster state: adopt, persist, convert for the wire.

A copy is adopted only if its configuration loads without errors, so that a bad push
can never replace a working configuration; every adopted copy is saved atomically
before it is acknowledged (docs/state.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hafailover.config.loader import load_config_text
from hafailover.config.model import ClusterConfig
from hafailover.reports import Severity
from hafailover.store import document as doc_ops
from hafailover.store import persist
from hafailover.store.document import Document, Version
from hafailover.v1 import peer_pb2


class RejectedDocumentError(Exception):
    """A copy that cannot be adopted; the message says why."""


@dataclass(frozen=True)
class Startup:
    document: Document
    problem: str | None  # the saved state could not be read: recover it from the peers
    quarantined: Path | None
    came_from: str  # for people: "the saved state /var/lib/...", "the configuration file"
    file_differs: bool = False  # a saved state runs, and the file given says otherwise


def config_of(document: Document) -> ClusterConfig:
    result = load_config_text(document.config_yaml, f"cluster state {document.version}")
    if result.config is None:
        errors = [r.message for r in result.reports if r.severity is Severity.ERROR]
        raise RejectedDocumentError("its configuration has errors: " + "; ".join(errors[:3]))
    return result.config


def load_at_start(path: Path, config_text: str, node: str,
                  config_file: str = "the configuration file") -> Startup:
    """The saved copy, or a fresh one from the configuration file (version 0.0.0).

    The saved copy wins over the file: it holds what the cluster agreed on since (commands,
    applied configurations). ``file_differs`` says when the file describes another
    configuration than the one that runs, so that the agent can say so at start.
    """
    try:
        saved = persist.load(path)
    except persist.StateFileError as exc:
        moved = persist.quarantine(path)
        return Startup(doc_ops.initial(config_text, node), str(exc), moved,
                       came_from=f"{config_file} (the saved state was unusable)")
    if saved is None:
        return Startup(doc_ops.initial(config_text, node), None, None, came_from=config_file)
    file_config = load_config_text(config_text, config_file).config
    differs = file_config is not None and file_config != _config_or_none(saved)
    return Startup(saved, None, None, came_from=f"the saved state {path}",
                   file_differs=differs)


def _config_or_none(document: Document) -> ClusterConfig | None:
    try:
        return config_of(document)
    except RejectedDocumentError:
        return None


class ReplicatedState:
    def __init__(self, path: Path, document: Document) -> None:
        self.path = path
        self.document = document
        self.config = config_of(document)

    @property
    def effective_config(self) -> ClusterConfig:
        """The configuration with the overrides commands made (target roles, maintenance)."""
        return doc_ops.effective_config(self.config, self.document)

    @property
    def version(self) -> Version:
        return self.document.version

    def adopt(self, document: Document) -> bool:
        """Save and hold ``document`` if it is newer (or wins the tie); True if it changed."""
        if document.version == self.version and document.digest == self.document.digest:
            return False
        if doc_ops.choose([self.document, document]) is not document:
            return False
        config = config_of(document)
        persist.save(self.path, document)
        self.document = document
        self.config = config
        return True

    def save(self) -> None:
        persist.save(self.path, self.document)


def to_message(document: Document) -> peer_pb2.ClusterDocument:
    return peer_pb2.ClusterDocument(
        version=version_message(document.version), config_yaml=document.config_yaml,
        state_json=json.dumps(doc_ops.to_json(document)), origin=document.origin)


def from_message(message: peer_pb2.ClusterDocument) -> Document:
    try:
        return doc_ops.from_json(json.loads(message.state_json))
    except (ValueError, TypeError) as exc:
        raise RejectedDocumentError(f"malformed cluster state: {exc}") from None


def version_message(version: Version) -> peer_pb2.StateVersion:
    return peer_pb2.StateVersion(admin_epoch=version.admin_epoch, epoch=version.epoch,
                                 updates=version.updates)


def version_of(message: peer_pb2.StateVersion) -> Version:
    return Version(message.admin_epoch, message.epoch, message.updates)
