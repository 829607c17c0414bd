"""The cyclic garbage collector paused while a report builds its many small objects.

A first report of ten years of national data restores millions of cells,
each a tuple, and keeps them. The collector is triggered by the number of
objects made, so it ran again and again over the growing heap: a third of
the report's time (docs/performance.md). Reference counting still frees
everything that is not in a cycle while it is paused.

The switch is the whole process's, so the sections of all threads are
counted: the collector is paused when the first one starts and set back as
it was when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_sections = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration, in every thread of the process."""
    global _sections, _was_enabled  # noqa: PLW0603 - the collector itself is process-wide
    with _lock:
        if _sections == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _sections += 1
    try:
        yield
    finally:
        with _lock:
            _sections -= 1
            if _sections == 0 and _was_enabled:
                gc.enable()
