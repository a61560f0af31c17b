from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusReply(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class CommandRequest(_message.Message):
    __slots__ = ("command", "resource", "node", "lifetime", "keep", "on", "config_yaml", "filename")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_FIELD_NUMBER: _ClassVar[int]
    KEEP_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    command: str
    resource: str
    node: str
    lifetime: float
    keep: bool
    on: bool
    config_yaml: str
    filename: str
    def __init__(self, command: _Optional[str] = ..., resource: _Optional[str] = ..., node: _Optional[str] = ..., lifetime: _Optional[float] = ..., keep: _Optional[bool] = ..., on: _Optional[bool] = ..., config_yaml: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class CommandReply(_message.Message):
    __slots__ = ("ok", "message", "consequences", "transition")
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    message: str
    consequences: _containers.RepeatedScalarFieldContainer[str]
    transition: int
    def __init__(self, ok: _Optional[bool] = ..., message: _Optional[str] = ..., consequences: _Optional[_Iterable[str]] = ..., transition: _Optional[int] = ...) -> None: ...

class ApplyConfigRequest(_message.Message):
    __slots__ = ("config_yaml", "dry_run")
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    config_yaml: str
    dry_run: bool
    def __init__(self, config_yaml: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ApplyConfigReply(_message.Message):
    __slots__ = ("applied", "diff", "reports_json", "transition", "message", "consequences")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    DIFF_FIELD_NUMBER: _ClassVar[int]
    REPORTS_JSON_FIELD_NUMBER: _ClassVar[int]
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    diff: str
    reports_json: str
    transition: int
    message: str
    consequences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, applied: _Optional[bool] = ..., diff: _Optional[str] = ..., reports_json: _Optional[str] = ..., transition: _Optional[int] = ..., message: _Optional[str] = ..., consequences: _Optional[_Iterable[str]] = ...) -> None: ...

class GetConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigReply(_message.Message):
    __slots__ = ("config_yaml", "version")
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    config_yaml: str
    version: str
    def __init__(self, config_yaml: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class WaitRequest(_message.Message):
    __slots__ = ("transition", "timeout")
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    transition: int
    timeout: float
    def __init__(self, transition: _Optional[int] = ..., timeout: _Optional[float] = ...) -> None: ...

class WaitReply(_message.Message):
    __slots__ = ("complete", "failed", "message")
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    failed: bool
    message: str
    def __init__(self, complete: _Optional[bool] = ..., failed: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class EventsRequest(_message.Message):
    __slots__ = ("since", "follow")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    since: float
    follow: bool
    def __init__(self, since: _Optional[float] = ..., follow: _Optional[bool] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("time", "kind", "message", "json")
    TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    time: float
    kind: str
    message: str
    json: str
    def __init__(self, time: _Optional[float] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ..., json: _Optional[str] = ...) -> None: ...
