"""Unknown, replaced and erased codes cannot be told apart: not by the answer, not by its time."""

from __future__ import annotations

import statistics
import time

from flask.testing import FlaskClient

import crypto
from tests.support.calls import bearer, start_course
from tests.support.world import World

ROUNDS = 150


def _codes(client: FlaskClient, world: World) -> dict[str, str]:
    erased, _ = start_course(client, world, slot=world.intro_a[0])
    client.delete("/api/v1/me", headers=bearer(erased))
    return {"unknown": crypto.generate_token(), "erased": erased}


def test_unknown_and_erased_codes_get_byte_identical_answers(
    client: FlaskClient, world: World
) -> None:
    """Status, headers that matter, and body are the same bytes."""
    answers = {
        name: client.get("/api/v1/me", headers=bearer(code))
        for name, code in _codes(client, world).items()
    }

    first, second = answers.values()
    assert first.status_code == second.status_code == 401
    assert first.get_data() == second.get_data()
    assert first.headers["WWW-Authenticate"] == second.headers["WWW-Authenticate"]


def test_unknown_and_erased_codes_take_the_same_time(client: FlaskClient, world: World) -> None:
    """Interleaved over many requests, the median times differ by no more than noise.

    Noise here is a quarter of the median or half a millisecond, whichever is
    more: a lookup that stopped early for unknown codes (a cache, a second
    query for known ones) would differ by far more.
    """
    codes = _codes(client, world)
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(ROUNDS):
        for name, code in codes.items():
            started = time.perf_counter()
            client.get("/api/v1/me", headers=bearer(code))
            times[name].append(time.perf_counter() - started)

    medians = {name: statistics.median(spent) for name, spent in times.items()}
    noise = max(0.0005, 0.25 * min(medians.values()))
    assert abs(medians["unknown"] - medians["erased"]) < noise, medians
