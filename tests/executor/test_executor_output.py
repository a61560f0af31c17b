"""Bounded output capture and ocf-exit-reason extraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafailover.executor.output import MAX_REASON, ExitReasonScanner, TailBuffer, exit_reason

pytestmark = pytest.mark.tier0


def test_tail_buffer_keeps_everything_below_the_cap() -> None:
    buf = TailBuffer(10)
    buf.append(b"abc")
    buf.append(b"def")
    c = buf.captured()
    assert (c.text, c.total_bytes, c.dropped_bytes, c.truncated) == ("abcdef", 6, 0, False)


def test_tail_buffer_keeps_the_last_bytes_and_counts_the_dropped() -> None:
    buf = TailBuffer(4)
    for chunk in (b"12345", b"67", b"8"):
        buf.append(chunk)
    c = buf.captured()
    assert (c.text, c.total_bytes, c.dropped_bytes) == ("5678", 8, 4)
    assert "first 4 dropped" in c.describe()


@given(st.lists(st.binary(max_size=50), max_size=30), st.integers(min_value=1, max_value=64))
def test_tail_buffer_equals_the_tail_of_the_concatenation(chunks: list[bytes], cap: int) -> None:
    buf = TailBuffer(cap)
    for chunk in chunks:
        buf.append(chunk)
    data = b"".join(chunks)
    c = buf.captured()
    assert c.text == data[-cap:].decode("utf-8", errors="replace") if data else c.text == ""
    assert c.total_bytes == len(data)
    assert c.dropped_bytes == max(0, len(data) - cap)


def test_exit_reason_is_the_last_reason_line() -> None:
    text = "INFO: x\nocf-exit-reason:first\nnoise\nocf-exit-reason: No state file \n"
    assert exit_reason(text) == "No state file"


def test_no_reason_line_means_no_exit_reason() -> None:
    assert exit_reason("ERROR: ocf-exit-reason: not at line start\n") is None


@given(st.integers(min_value=1, max_value=40))
def test_reason_split_across_chunks_is_found(size: int) -> None:
    data = b"x" * 100 + b"\nocf-exit-reason:address in use\nmore\n"
    scanner = ExitReasonScanner()
    for i in range(0, len(data), size):
        scanner.feed(data[i:i + size])
    scanner.close()
    assert scanner.reason == "address in use"


def test_reason_without_final_newline_is_found_at_close() -> None:
    scanner = ExitReasonScanner()
    scanner.feed(b"ocf-exit-reason:bye")
    assert scanner.reason is None
    scanner.close()
    assert scanner.reason == "bye"


def test_huge_lines_do_not_grow_memory_and_a_huge_reason_is_cut() -> None:
    scanner = ExitReasonScanner()
    scanner.feed(b"y" * 1_000_000)
    scanner.feed(b"\nocf-exit-reason:" + b"z" * 100_000 + b"\n")
    scanner.close()
    assert scanner.reason is not None and len(scanner.reason) == MAX_REASON
