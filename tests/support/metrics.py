"""Scrape /metrics through the test client and read its samples."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.calls import bearer

# Test-only: the token a test app's /metrics answers (DISKRET_METRICS_TOKEN).
METRICS_TOKEN = "metrics-scrape-6c1d94e2b07f4a3895d1c0e7f2a6b8d4"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient) -> str:
    """Return the text of a scrape with the metrics token, which must answer 200."""
    response = client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def samples_of(body: str) -> Samples:
    """Return every sample of a scrape by its name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """Return one sample's value, 0 when the scrape has no such sample."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
