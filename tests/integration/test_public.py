"""What anyone may read: municipalities, providers, free slots and groups."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient

from tests.support.calls import start_course
from tests.support.world import ELSEWHERE, HOME, World


def test_all_98_municipalities_are_listed(client: FlaskClient, world: World) -> None:
    """The list holds every municipality with its code, name and region."""

    body = client.get("/api/v1/municipalities").get_json()

    assert len(body) == 98
    assert {"code": "101", "name": "København", "region": "Region Hovedstaden"} in body


def test_providers_are_the_contracted_centres_with_their_next_free_intro(
    client: FlaskClient, world: World
) -> None:
    """København's citizens see centres A and B (B lies outside), each with its next free intro."""

    body = client.get(f"/api/v1/municipalities/{HOME}/providers").get_json()

    names = [p["centre"]["name"] for p in body]
    assert sorted(names) == ["Centre A", "Centre B"]
    assert all(p["next_intro_at"] for p in body)
    assert {p["centre"]["municipality_code"] for p in body} == {"101", "147"}
    centre_a = next(p for p in body if p["centre"]["name"] == "Centre A")
    assert [g["places_left"] for g in centre_a["groups"]] == [2]


def test_providers_of_an_unknown_municipality_are_not_found(
    client: FlaskClient, world: World
) -> None:
    """An unknown code answers 404 in the error envelope."""

    response = client.get("/api/v1/municipalities/999/providers")

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_booked_and_past_slots_are_not_listed(client: FlaskClient, world: World) -> None:
    """Only free future slots of the asked kind are listed, soonest first."""
    start_course(client, world, slot=world.intro_a[0])

    body = client.get(f"/api/v1/centres/{world.centre_a}/slots?kind=intro").get_json()

    listed = [slot["id"] for slot in body]
    assert listed == [str(s) for s in world.intro_a[1:]]
    assert all(slot["starts_at"][-6:] in ("+01:00", "+02:00") for slot in body)


def test_an_unknown_slot_kind_is_refused(client: FlaskClient, world: World) -> None:
    """A query parameter outside intro|closing gets 422."""

    response = client.get(f"/api/v1/centres/{world.centre_a}/slots?kind=group")

    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]


def test_groups_show_places_waitlist_and_sessions(client: FlaskClient, world: World) -> None:
    """A centre's groups carry capacity, places left, waitlist length, intake and sessions."""

    [group] = client.get(f"/api/v1/centres/{world.centre_a}/groups").get_json()

    assert group["capacity"] == 2
    assert group["places_left"] == 2
    assert group["waitlist_length"] == 0
    assert group["intake_open"] is True
    assert [s["number"] for s in group["sessions"]] == [1, 2, 3, 4]


def test_an_unknown_centre_is_not_found(client: FlaskClient, world: World) -> None:
    """Groups of a centre that does not exist answer 404."""

    response = client.get(f"/api/v1/centres/{uuid.uuid4()}/groups")

    assert response.status_code == 404


def test_a_municipality_without_contracts_at_a_centre_sees_only_its_own(
    client: FlaskClient, world: World
) -> None:
    """Odense's citizens see centres C and B, never A."""

    body = client.get(f"/api/v1/municipalities/{ELSEWHERE}/providers").get_json()

    assert sorted(p["centre"]["name"] for p in body) == ["Centre B", "Centre C"]
