"""/metrics as deployed: `diskret serve` with two gunicorn workers on PostgreSQL, each worker's
counts summed in one scrape, on a metrics address of its own or with the token."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_TOKEN_KEY
from tests.support.metrics import METRICS_TOKEN
from tests.support.processes import diskret, free_port, running

REQUESTS = 40
HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


@dataclass(frozen=True)
class Served:
    """A running `diskret serve`: its address, its metrics address and its temporary folder."""

    url: str
    metrics_url: str
    scratch: Path


@pytest.fixture(scope="module")
def served(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Run `diskret serve --workers 2 --metrics-bind ...` on the module's PostgreSQL database."""
    folder = tmp_path_factory.mktemp("metrics")
    scratch = folder / "tmp"
    scratch.mkdir()
    port, metrics_port = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DISKRET_")} | {
        "DISKRET_DATABASE_URL": postgres_url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": TEST_TOKEN_KEY,
        "DISKRET_METRICS_TOKEN": METRICS_TOKEN,
        "TMPDIR": str(scratch),
    }
    command = diskret(
        "serve",
        *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
        # A host name, not the address the socket reports: the port tells them apart.
        *("--metrics-bind", f"localhost:{metrics_port}"),
    )
    with (
        (folder / "stderr.log").open("w+b") as log,
        running(command, port, environment, log) as url,
    ):
        yield Served(url, f"http://127.0.0.1:{metrics_port}", scratch)


def _scrape(served: Served) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{served.metrics_url}/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _healthz(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return samples.get(("diskret_http_requests_total", tuple(sorted(HEALTHZ.items()))), 0.0)


def _per_worker(served: Served) -> dict[int, float]:
    """Return each worker's own count of /healthz, read from its file alone."""
    [folder] = served.scratch.glob("diskret-metrics-*")
    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        merged = MultiProcessCollector.merge([str(path)], accumulate=True)  # type: ignore[no-untyped-call]
        counts[pid] = sum(
            sample.value
            for family in merged
            for sample in family.samples
            if sample.name == "diskret_http_requests_total" and sample.labels == HEALTHZ
        )
    return counts


@pytest.mark.postgres
@pytest.mark.slow
def test_one_scrape_sums_the_counts_of_both_workers(served: Served) -> None:
    """40 requests on fresh connections fall on both workers; any scrape counts all 40."""
    before = _healthz(_scrape(served))

    statuses = [httpx.get(f"{served.url}/healthz").status_code for _ in range(REQUESTS)]

    scrapes = [_scrape(served) for _ in range(4)]
    per_worker = _per_worker(served)
    assert statuses == [200] * REQUESTS
    assert [_healthz(each) - before for each in scrapes] == [REQUESTS] * 4
    assert len([count for count in per_worker.values() if count > 0]) == 2
    assert sum(per_worker.values()) == _healthz(scrapes[0])
    assert scrapes[0][("diskret_serving_processes", ())] == 2
    assert scrapes[0][("diskret_database_up", ())] == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_the_metrics_address_serves_metrics_alone_and_the_app_asks_the_token(
    served: Served,
) -> None:
    """On the metrics address only /metrics answers; on the app's, /metrics needs the token."""

    on_metrics = {
        path: httpx.get(f"{served.metrics_url}{path}").status_code
        for path in ("/metrics", "/healthz", "/api/v1/municipalities", "/")
    }
    on_app = [
        httpx.get(f"{served.url}/metrics").status_code,
        httpx.get(f"{served.url}/metrics", headers={"Host": served.metrics_url[7:]}).status_code,
        httpx.get(
            f"{served.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        ).status_code,
    ]

    assert on_metrics == {"/metrics": 200, "/healthz": 404, "/api/v1/municipalities": 404, "/": 404}
    assert on_app == [404, 404, 200]


def _parent(pid: int) -> int:
    found = re.search(r"^PPid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M)
    assert found
    return int(found.group(1))


def _workers(served: Served) -> list[int]:
    """Return the live processes with gauge files whose parent is the server (its workers)."""
    [folder] = served.scratch.glob("diskret-metrics-*")
    alive = []
    for path in folder.glob("gauge_livesum_*.db"):
        pid = int(path.stem.removeprefix("gauge_livesum_"))
        if not Path(f"/proc/{pid}").exists():
            continue
        server = Path(f"/proc/{_parent(pid)}/cmdline").read_bytes()
        if b"--metrics-bind" in server:
            alive.append(pid)
    return alive


@pytest.mark.postgres
@pytest.mark.slow
def test_a_killed_worker_leaves_the_live_gauges_and_keeps_its_counts(served: Served) -> None:
    """gunicorn replaces a killed worker: the gauges count the live workers, the counts stay."""
    before = _scrape(served)
    victim = max(_workers(served))

    os.kill(victim, signal.SIGKILL)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _workers(served)
        if victim not in workers and len(workers) == 2:
            break
        time.sleep(0.2)
    after = _scrape(served)
    assert victim not in _workers(served)
    assert after[("diskret_serving_processes", ())] == 2
    assert _healthz(after) == _healthz(before)
