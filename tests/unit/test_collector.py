"""The garbage collector is paused for a report's sections, in every thread, and set back after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from service.stats import collector


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_paused_inside_and_back_on_after() -> None:
    """Inside a section the collector is off; after it, on again, even after an error."""
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a report that fails")
    assert gc.isenabled()


def test_overlapping_sections_leave_it_paused_until_the_last_one_ends() -> None:
    """Two threads' sections: the first to end does not switch the collector back on."""
    inside, finish = threading.Event(), threading.Event()

    def other_report() -> None:
        with collector.paused():
            inside.set()
            finish.wait(timeout=10)

    thread = threading.Thread(target=other_report)
    with collector.paused():
        thread.start()
        assert inside.wait(timeout=10)
    assert not gc.isenabled()  # the other thread's section still runs
    finish.set()
    thread.join(timeout=10)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    """Whoever switched the collector off before keeps it off."""
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()
