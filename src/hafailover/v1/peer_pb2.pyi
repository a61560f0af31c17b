from hafailover.v1 import control_pb2 as _control_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProtocolVersion(_message.Message):
    __slots__ = ("major", "minor", "software")
    MAJOR_FIELD_NUMBER: _ClassVar[int]
    MINOR_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_FIELD_NUMBER: _ClassVar[int]
    major: int
    minor: int
    software: str
    def __init__(self, major: _Optional[int] = ..., minor: _Optional[int] = ..., software: _Optional[str] = ...) -> None: ...

class HelloRequest(_message.Message):
    __slots__ = ("cluster", "node", "version", "incarnation")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INCARNATION_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    node: str
    version: ProtocolVersion
    incarnation: int
    def __init__(self, cluster: _Optional[str] = ..., node: _Optional[str] = ..., version: _Optional[_Union[ProtocolVersion, _Mapping]] = ..., incarnation: _Optional[int] = ...) -> None: ...

class HelloReply(_message.Message):
    __slots__ = ("cluster", "node", "version", "compatible", "message")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPATIBLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    node: str
    version: ProtocolVersion
    compatible: bool
    message: str
    def __init__(self, cluster: _Optional[str] = ..., node: _Optional[str] = ..., version: _Optional[_Union[ProtocolVersion, _Mapping]] = ..., compatible: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ProbeRequest(_message.Message):
    __slots__ = ("from_node", "view")
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    from_node: str
    view: int
    def __init__(self, from_node: _Optional[str] = ..., view: _Optional[int] = ...) -> None: ...

class ProbeReply(_message.Message):
    __slots__ = ("node", "incarnation", "view", "alive_peers")
    NODE_FIELD_NUMBER: _ClassVar[int]
    INCARNATION_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    ALIVE_PEERS_FIELD_NUMBER: _ClassVar[int]
    node: str
    incarnation: int
    view: int
    alive_peers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, node: _Optional[str] = ..., incarnation: _Optional[int] = ..., view: _Optional[int] = ..., alive_peers: _Optional[_Iterable[str]] = ...) -> None: ...

class StateVersion(_message.Message):
    __slots__ = ("admin_epoch", "epoch", "updates")
    ADMIN_EPOCH_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    admin_epoch: int
    epoch: int
    updates: int
    def __init__(self, admin_epoch: _Optional[int] = ..., epoch: _Optional[int] = ..., updates: _Optional[int] = ...) -> None: ...

class ClusterDocument(_message.Message):
    __slots__ = ("version", "config_yaml", "state_json", "origin")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    version: StateVersion
    config_yaml: str
    state_json: str
    origin: str
    def __init__(self, version: _Optional[_Union[StateVersion, _Mapping]] = ..., config_yaml: _Optional[str] = ..., state_json: _Optional[str] = ..., origin: _Optional[str] = ...) -> None: ...

class JoinRequest(_message.Message):
    __slots__ = ("node", "have")
    NODE_FIELD_NUMBER: _ClassVar[int]
    HAVE_FIELD_NUMBER: _ClassVar[int]
    node: str
    have: StateVersion
    def __init__(self, node: _Optional[str] = ..., have: _Optional[_Union[StateVersion, _Mapping]] = ...) -> None: ...

class JoinReply(_message.Message):
    __slots__ = ("document", "view", "coordinator")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    COORDINATOR_FIELD_NUMBER: _ClassVar[int]
    document: ClusterDocument
    view: int
    coordinator: str
    def __init__(self, document: _Optional[_Union[ClusterDocument, _Mapping]] = ..., view: _Optional[int] = ..., coordinator: _Optional[str] = ...) -> None: ...

class PushStateRequest(_message.Message):
    __slots__ = ("document", "view")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    document: ClusterDocument
    view: int
    def __init__(self, document: _Optional[_Union[ClusterDocument, _Mapping]] = ..., view: _Optional[int] = ...) -> None: ...

class PushStateReply(_message.Message):
    __slots__ = ("accepted", "have", "message")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    HAVE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    have: StateVersion
    message: str
    def __init__(self, accepted: _Optional[bool] = ..., have: _Optional[_Union[StateVersion, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class ActionRequest(_message.Message):
    __slots__ = ("transition", "action_id", "action", "resource", "timeout_ms", "interval_ms", "copy", "config")
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    COPY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    transition: int
    action_id: int
    action: str
    resource: str
    timeout_ms: int
    interval_ms: int
    copy: int
    config: StateVersion
    def __init__(self, transition: _Optional[int] = ..., action_id: _Optional[int] = ..., action: _Optional[str] = ..., resource: _Optional[str] = ..., timeout_ms: _Optional[int] = ..., interval_ms: _Optional[int] = ..., copy: _Optional[int] = ..., config: _Optional[_Union[StateVersion, _Mapping]] = ...) -> None: ...

class ActionResult(_message.Message):
    __slots__ = ("transition", "action_id", "node", "resource", "action", "rc", "status", "exit_reason", "output", "duration", "interval_ms", "severity", "instance", "role", "block", "promotion_score")
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXIT_REASON_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    transition: int
    action_id: int
    node: str
    resource: str
    action: str
    rc: int
    status: str
    exit_reason: str
    output: str
    duration: float
    interval_ms: int
    severity: str
    instance: str
    role: str
    block: bool
    promotion_score: str
    def __init__(self, transition: _Optional[int] = ..., action_id: _Optional[int] = ..., node: _Optional[str] = ..., resource: _Optional[str] = ..., action: _Optional[str] = ..., rc: _Optional[int] = ..., status: _Optional[str] = ..., exit_reason: _Optional[str] = ..., output: _Optional[str] = ..., duration: _Optional[float] = ..., interval_ms: _Optional[int] = ..., severity: _Optional[str] = ..., instance: _Optional[str] = ..., role: _Optional[str] = ..., block: _Optional[bool] = ..., promotion_score: _Optional[str] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("ok", "message")
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    message: str
    def __init__(self, ok: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FenceRequest(_message.Message):
    __slots__ = ("target", "action", "requested_by", "reason")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    target: str
    action: str
    requested_by: str
    reason: str
    def __init__(self, target: _Optional[str] = ..., action: _Optional[str] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FenceReply(_message.Message):
    __slots__ = ("ok", "device", "message")
    OK_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    device: str
    message: str
    def __init__(self, ok: _Optional[bool] = ..., device: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ViewMessage(_message.Message):
    __slots__ = ("number", "members", "coordinator", "quorate", "votes", "expected_votes", "from_node")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    COORDINATOR_FIELD_NUMBER: _ClassVar[int]
    QUORATE_FIELD_NUMBER: _ClassVar[int]
    VOTES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VOTES_FIELD_NUMBER: _ClassVar[int]
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    number: int
    members: _containers.RepeatedScalarFieldContainer[str]
    coordinator: str
    quorate: bool
    votes: int
    expected_votes: int
    from_node: str
    def __init__(self, number: _Optional[int] = ..., members: _Optional[_Iterable[str]] = ..., coordinator: _Optional[str] = ..., quorate: _Optional[bool] = ..., votes: _Optional[int] = ..., expected_votes: _Optional[int] = ..., from_node: _Optional[str] = ...) -> None: ...

class ResourceStatus(_message.Message):
    __slots__ = ("resource", "role", "failed", "blocked", "promotion_score")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    resource: str
    role: str
    failed: bool
    blocked: bool
    promotion_score: str
    def __init__(self, resource: _Optional[str] = ..., role: _Optional[str] = ..., failed: _Optional[bool] = ..., blocked: _Optional[bool] = ..., promotion_score: _Optional[str] = ...) -> None: ...

class ViewAck(_message.Message):
    __slots__ = ("accepted", "node", "view", "have", "resources", "message", "probed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    HAVE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PROBED_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    node: str
    view: int
    have: StateVersion
    resources: _containers.RepeatedCompositeFieldContainer[ResourceStatus]
    message: str
    probed: bool
    def __init__(self, accepted: _Optional[bool] = ..., node: _Optional[str] = ..., view: _Optional[int] = ..., have: _Optional[_Union[StateVersion, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[ResourceStatus, _Mapping]]] = ..., message: _Optional[str] = ..., probed: _Optional[bool] = ...) -> None: ...

class FetchStateRequest(_message.Message):
    __slots__ = ("from_node",)
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    from_node: str
    def __init__(self, from_node: _Optional[str] = ...) -> None: ...
