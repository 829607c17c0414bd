"""What the benchmarks share: `diskret serve`, worker memory, percentiles.

Not a benchmark itself: the others import it (run them from the repository's
root, as `python bench/<name>.py`). Importing it puts the repository's root on
the path, so that the benchmarks seed with the tests' own helper
(tests/support/seeding.py and world.py: scratch databases, centres, bulk slots).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Rate-limit counters go to a Redis database of the benchmarks' own, emptied first.
REDIS_URL = "redis://127.0.0.1:6379/14"
# Limits far above anything a run sends, so that the limiter still does its
# work (a Redis round trip per limit) but never answers 429.
UNLIMITED = "100000000 per minute"
LIMITS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_COURSE_CREATE",
    "RATELIMIT_TOKEN",
    "RATELIMIT_TOKEN_DIGEST",
    "RATELIMIT_API_KEY",
    "RATELIMIT_API_CLIENT",
    "RATELIMIT_LOGIN_ACCOUNT",
    "RATELIMIT_LOGIN_CLIENT",
)


def empty_redis(url: str) -> None:
    """Empty the benchmarks' own Redis database (and only that one)."""
    import redis  # noqa: PLC0415 - only the benchmarks that serve need it

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """A running server of the service: its base URL and its main process."""

    url: str
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """Return the process ids of the workers (the main process's children)."""
        return children(self.process.pid)


def children(pid: int) -> list[int]:
    """Return the processes whose parent is ``pid`` (a gunicorn master's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent id is the second field after the parenthesised name.
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def backends(database: str) -> list[int]:
    """Return the PostgreSQL backends serving ``database``, by their process titles."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            found.append(int(cmdline.parent.name))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Return the CPU time (user and system, all threads) each process has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def cpu_per_request(before: dict[int, float], after: dict[int, float], requests: float) -> float:
    """Return the CPU milliseconds used per request between two readings of ``cpu_seconds``.

    CPU per request holds up better than requests per second on a machine
    that others share: it does not count the time waited.
    """
    used = sum(total - before.get(pid, 0.0) for pid, total in after.items())
    return 1000 * used / max(requests, 1)


def memory_kib(pid: int, field: str) -> int:
    """Return one memory figure of a process in KiB, e.g. VmRSS or VmHWM (its peak RSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def settings(database_url: str, token_key: str, **extra: str) -> dict[str, str]:
    """Return the environment of a bench server: secrets, Redis and limits nobody reaches."""
    environment = {
        "DISKRET_DATABASE_URL": database_url,
        "DISKRET_REDIS_URL": REDIS_URL,
        "DISKRET_SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex,
        "DISKRET_TOKEN_KEY": token_key,
        **{f"DISKRET_{name}": UNLIMITED for name in LIMITS},
    }
    environment.update({f"DISKRET_{name}": value for name, value in extra.items()})
    return environment


# The servers a benchmark can run the service under: `diskret serve`
# (gunicorn, as in production), or granian's WSGI interface for comparison.
SERVERS = ("gunicorn", "granian")


def granian(app: str, port: int, *, workers: int, threads: int) -> list[str]:
    """Return the command serving the WSGI app factory ``app`` under granian on loopback."""
    return [
        str(Path(sys.executable).with_name("granian")),
        "--interface",
        "wsgi",
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-ws",
        "--factory",
        app,
    ]


def start_serving(
    port: int,
    *,
    workers: int,
    threads: int,
    environment: Mapping[str, str],
    errors: IO[bytes],
    server: str = "gunicorn",
) -> subprocess.Popen[bytes]:
    """Start the service on loopback with the environment given, its log into ``errors``."""
    if server == "granian":
        command = granian("service:create_app", port, workers=workers, threads=threads)
    else:
        diskret = str(Path(sys.executable).with_name("diskret"))
        command = [diskret, "serve", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--threads", str(threads)]
    return subprocess.Popen(
        command,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )


@contextmanager
def served(
    environment: Mapping[str, str], *, workers: int, threads: int, server: str = "gunicorn"
) -> Iterator[Server]:
    """Run the service (`diskret serve`, or granian) with the environment given; stop it after."""
    empty_redis(environment.get("DISKRET_REDIS_URL", REDIS_URL))
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        child = start_serving(
            port,
            workers=workers,
            threads=threads,
            environment=environment,
            errors=errors,
            server=server,
        )
        running = Server(f"http://127.0.0.1:{port}", child)
        try:
            if not _came_up(running, workers):
                child.kill()
                child.wait()
                errors.seek(0)
                raise SystemExit(f"{server} did not start:\n" + errors.read()[-3000:].decode())
            yield running
        finally:
            stop(child)


def stop(child: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a server gracefully, and kill it if it has not stopped within ``timeout`` seconds."""
    child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _came_up(server: Server, workers: int) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            answered = httpx.get(server.url + "/healthz").status_code == 200
        except httpx.HTTPError:
            answered = False
        if answered and len(server.workers()) == workers:
            return True
        time.sleep(0.2)
    return False


# Loaded by every Python process started with the folder on PYTHONPATH: each
# process forked from it (a gunicorn worker) times its own garbage
# collections and writes them down when it exits.
_GC_WATCH = """
import atexit, gc, json, os, time

def _watch():
    times, started = {0: [], 1: [], 2: []}, []
    def callback(phase, info):
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            times[info["generation"]].append((time.perf_counter() - started[0]) * 1000)
    def write():
        with open(os.path.join(%(folder)r, f"gc-{os.getpid()}.json"), "w") as out:
            json.dump(times, out)
    gc.callbacks.append(callback)
    atexit.register(write)

os.register_at_fork(after_in_child=_watch)
"""


@contextmanager
def gc_watched() -> Iterator[tuple[dict[str, str], list[str]]]:
    """Yield an environment that makes forked children time their collections, and a report.

    The report, filled once the server has stopped, holds a line per worker:
    how many collections of each generation it ran and the longest pause.
    """
    report: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "sitecustomize.py").write_text(_GC_WATCH % {"folder": folder})
        path = os.pathsep.join(filter(None, [folder, os.environ.get("PYTHONPATH")]))
        yield {"PYTHONPATH": path}, report
        for written in sorted(Path(folder).glob("gc-*.json")):
            times = json.loads(written.read_text())
            report.append(
                f"worker {written.stem[3:]}: "
                + ", ".join(
                    f"gen {generation} {len(pauses)} x, longest {max(pauses, default=0):.1f} ms"
                    for generation, pauses in times.items()
                )
            )


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of some values (share 0.5 is the median)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
