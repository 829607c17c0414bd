"""gunicorn's threaded worker, lending a thread to a request only once the request has arrived.

The stock worker parses each request in a pool thread that blocks on the
socket: eight clients that send their headers a byte a second hold eight
threads, and every other request waits behind them ("slowloris"). Here a
thread takes only what has already arrived, without waiting, and hands the
connection back to the worker's poller until the head (and a body of known
length, up to the app's ``MAX_CONTENT_LENGTH``) is complete. A request that
has not arrived within ``ARRIVAL_SECONDS`` is dropped. Production still puts
a buffering proxy in front (compose's nginx), which also covers slow
chunked bodies and slow readers of answers; this keeps a directly exposed
`diskret serve` answering meanwhile.

An event-loop worker (gevent, eventlet) would wait for slow clients too, but
only by patching the whole process: psycopg's waits, the argon2id thread pool
and the at-fork hooks of the password slots. Waiting for the request head
here keeps every other part of the process as it is.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from typing import Any

from gunicorn.workers import gthread

# A person's browser on a poor mobile link sends a request head within a
# second or two; ten leaves room for the worst and frees the socket after.
ARRIVAL_SECONDS = 10.0

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length[ \t]*:[ \t]*(\d{1,18})[ \t]*\r?$")
# A client that asks to be told to go on sends its body only after gunicorn's
# "100 Continue" (RFC 9110 section 10.1.1): its head is the whole request so far.
_EXPECT_CONTINUE = re.compile(rb"(?im)^expect[ \t]*:[ \t]*100-continue[ \t]*\r?$")
# gunicorn's own limits on a head (request line and header fields) are far below this.
_MAX_HEAD = 64 * 1024


class PatientWorker(gthread.ThreadWorker):  # type: ignore[misc]
    """A gthread worker whose pool threads never wait for a slow client's bytes."""

    def handle(self, conn: Any) -> Any:
        """Serve the request if it has arrived; else give the connection back to the poller."""
        try:
            arrived = self._arrived(conn)
        except OSError:
            return False  # the client went away: the connection is closed
        if arrived:
            conn.arrival_deadline = None
            return super().handle(conn)
        if time.monotonic() > conn.arrival_deadline:
            # Shut both ways here, in the pool thread: gunicorn's graceful
            # close then finds nothing to drain. Otherwise the worker's main
            # thread would linger on a client still trickling bytes, and
            # accept nothing meanwhile.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            return False
        # gthread's own answer for a connection with nothing to read yet
        # (gunicorn 27): the poller hands it back when more bytes come, or
        # closes it after the keep-alive timeout (gunicorn's --keep-alive).
        # tests/integration/test_serve.py fails if a gunicorn release changes that.
        return gthread._DEFER

    def _arrived(self, conn: Any) -> bool:
        """Take what has come, without waiting; return whether the whole request is here."""
        conn.init()
        if conn.is_http2:
            return True
        if getattr(conn, "arrival_deadline", None) is None:
            conn.arrival_deadline = time.monotonic() + ARRIVAL_SECONDS
        unreader = conn.parser.unreader
        held = unreader.take_buffered()
        try:
            fresh = conn.sock.recv(_MAX_HEAD, socket.MSG_DONTWAIT)
        except BlockingIOError:
            fresh = None
        held += fresh or b""
        unreader.unread(held)
        if fresh == b"":
            return True  # the client closed its side: the parser reports it
        return self._complete(held)

    def _complete(self, held: bytes) -> bool:
        """Return whether ``held`` starts with a whole head and the body it announces."""
        end = _HEAD_END.search(held)
        if end is None:
            return len(held) >= _MAX_HEAD  # too long a head: the parser refuses it
        head_end = end.start() + 2
        length = _CONTENT_LENGTH.search(held, 0, head_end)
        if length is None or _EXPECT_CONTINUE.search(held, 0, head_end):
            return True
        # Above the cap the app refuses the body on its header, unread (413).
        announced = min(int(length.group(1)), self.wsgi.config.get("MAX_CONTENT_LENGTH") or 0)
        return len(held) - end.end() >= announced
