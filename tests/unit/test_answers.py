"""The process's cache of statistics answers: bounded by bytes, least recently used out first."""

from __future__ import annotations

from service.stats.answers import Answers


def test_the_least_recently_used_answer_goes_first_when_the_bytes_run_out() -> None:
    """Three answers of 40 bytes do not fit in 100: the one not asked for longest goes."""
    answers = Answers(max_bytes=100)
    answers.put("a", b"a" * 40)
    answers.put("b", b"b" * 40)
    assert answers.get("a") == b"a" * 40

    answers.put("c", b"c" * 40)

    assert answers.get("b") is None
    assert answers.get("a") == b"a" * 40
    assert answers.get("c") == b"c" * 40


def test_an_answer_larger_than_the_cache_is_not_kept_and_evicts_nothing() -> None:
    """Keeping it would mean emptying the cache for an answer that cannot fit."""
    answers = Answers(max_bytes=100)
    answers.put("small", b"s" * 10)

    answers.put("large", b"l" * 101)

    assert answers.get("large") is None
    assert answers.get("small") == b"s" * 10
