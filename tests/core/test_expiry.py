"""When a failure stops counting: each primitive's own failure-timeout, inherited from
its group or clone, or the resource default; 0 never."""

from __future__ import annotations

import pytest

from core.builders import clone, config, group, prim
from hafailover.config.model import ResourceDefaults
from hafailover.core.expiry import expired_failures, failure_timeouts, next_failure_expiry
from hafailover.core.state import FailCount

pytestmark = pytest.mark.tier0


def test_a_primitive_takes_its_own_then_its_parents_then_the_default_failure_timeout() -> None:
    cfg = config([prim("own", failure_timeout=5.0),
                  group("g", "member", failure_timeout=7.0),
                  clone("c", "child", meta={"failure_timeout": 9.0}),
                  prim("plain")], failure_timeout=ResourceDefaults().failure_timeout)
    timeouts = failure_timeouts(cfg)
    assert timeouts["own"] == 5.0
    assert timeouts["member"] == 7.0
    assert timeouts["child"] == 9.0
    assert timeouts["plain"] == ResourceDefaults().failure_timeout


def test_the_next_expiry_is_the_earliest_one_still_ahead() -> None:
    cfg = config([prim("a", failure_timeout=10.0), prim("b", failure_timeout=100.0)])
    failures = [FailCount("a", "n1", 1, 1000.0), FailCount("b", "n2", 1, 950.0),
                FailCount("a", "n3", 1, 900.0)]  # a on n3 expired at 910
    assert next_failure_expiry(cfg, failures, now=1005.0) == 1010.0
    assert next_failure_expiry(cfg, failures, now=1010.0) == 1050.0
    assert [(f.resource, f.node) for f in expired_failures(cfg, failures, now=1010.0)] == [
        ("a", "n1"), ("a", "n3")]


def test_a_failure_timeout_of_zero_never_expires() -> None:
    cfg = config([prim("a", failure_timeout=0.0)])
    failures = [FailCount("a", "n1", 1, 0.0)]
    assert next_failure_expiry(cfg, failures, now=10.0**9) is None
    assert expired_failures(cfg, failures, now=10.0**9) == []


def test_a_failure_of_a_resource_no_longer_configured_never_expires_here() -> None:
    assert next_failure_expiry(config([]), [FailCount("gone", "n1", 1, 0.0)], 1.0) is None
