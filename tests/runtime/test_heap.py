"""Keeping freed heap memory: glibc's thresholds set once, opt-out, no-op without mallopt."""

from __future__ import annotations

import sys

import pytest

from zeroplay.runtime import heap


class FakeLibc:
    """A C library whose `mallopt` records its calls (a plain function, as ctypes gives)."""

    def __init__(self, answer: int = 1):
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

        def mallopt(param: int, value: int) -> int:
            self.calls.append((param, value))
            return self.answer

        self.mallopt = mallopt


@pytest.fixture
def fake_libc(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_done", None)
    monkeypatch.setattr(heap.sys, "platform", "linux")
    monkeypatch.setattr(heap.ctypes, "CDLL", lambda name: libc)
    monkeypatch.delenv(heap.OPT_OUT, raising=False)
    return libc


def test_sets_both_thresholds_once(fake_libc):
    assert heap.keep_freed_memory() is True
    assert heap.keep_freed_memory() is True
    assert fake_libc.calls == [(-3, 32 * 2**20), (-1, 2**30)]


def test_opt_out_and_refusals_leave_malloc_alone(fake_libc, monkeypatch):
    monkeypatch.setenv(heap.OPT_OUT, "0")
    assert heap.keep_freed_memory() is False
    assert fake_libc.calls == []
    monkeypatch.delenv(heap.OPT_OUT)
    monkeypatch.setattr(heap, "_done", None)
    fake_libc.answer = 0  # glibc rejects the value
    assert heap.keep_freed_memory() is False


def test_no_mallopt_is_a_no_op(fake_libc, monkeypatch):
    monkeypatch.setattr(heap.ctypes, "CDLL", lambda name: object())
    assert heap.keep_freed_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_real_glibc_accepts_the_thresholds(monkeypatch):
    monkeypatch.setattr(heap, "_done", None)
    monkeypatch.delenv(heap.OPT_OUT, raising=False)
    assert heap.keep_freed_memory() is True
