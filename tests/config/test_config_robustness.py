"""No input makes the loader raise: every problem is a report."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.config import load_config_bytes, load_config_text
from hafailover.config.loader import (
    CLONE_KEYS,
    LOCATION_KEYS,
    NODE_KEYS,
    OPERATION_KEYS,
    ORDER_KEYS,
    PRIMITIVE_KEYS,
    TOP_KEYS,
)

pytestmark = pytest.mark.tier0

KEYS = sorted(set(TOP_KEYS + NODE_KEYS + PRIMITIVE_KEYS + CLONE_KEYS + OPERATION_KEYS
                  + LOCATION_KEYS + ORDER_KEYS + ("name", "links", "members", "rules",
                                                  "expressions", "devices")))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(),
                    st.sampled_from(["n1", "vip", "INFINITY", "100ms", "-1s", "ocf:x",
                                     "builtin:vip", "Promoted", "10.0.0.1", ""]),
                    st.text(max_size=8))
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=9))
def test_random_documents_with_real_keys_never_raise(document: dict[str, object]) -> None:
    result = load_config_text(yaml.safe_dump(document))

    assert result.config is not None or result.reports


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    load_config_text(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    load_config_bytes(data)


def test_very_deep_nesting_is_a_report() -> None:
    result = load_config_text("[" * 700 + "]" * 700)

    assert result.config is None
    assert result.reports[0].code == "CONFIG_YAML_SYNTAX"
