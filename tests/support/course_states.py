"""Courses put in every state a citizen's page can show, through the API and the staff rules.

Each build makes its own intro time, group and closing time, so a test can
build the same state again for every step it takes from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from service.booking import pathway, talks
from service.identity.actors import Actor
from service.models import BookingKind, Centre, SlotKind
from tests.support.calls import bearer, hold_intro, start_course
from tests.support.world import World, add_group, add_slot


@dataclass
class Built:
    """A course in a state: its code and id, and the ids the state was built from."""

    token: str
    course_id: str
    group_id: uuid.UUID | None = None
    others: list[str] = field(default_factory=list)


@dataclass
class Builder:
    """Puts a course of centre A in a state; each call makes fresh times and a fresh group."""

    app: Flask
    session: Session
    world: World
    now: datetime
    made: int = 0
    # Each group's closing time, after its last meeting.
    closing: dict[uuid.UUID | None, uuid.UUID] = field(default_factory=dict)

    def _centre(self) -> Centre:
        return self.session.get_one(Centre, self.world.centre_a)

    def intro_slot(self) -> uuid.UUID:
        """Add a free intro time at centre A, a few days ahead."""
        self.made += 1
        starts = self.now + timedelta(days=2, minutes=50 * self.made)
        slot = add_slot(self.session, self._centre(), SlotKind.INTRO, starts).id
        self.session.commit()
        return slot

    def group(self, capacity: int) -> uuid.UUID:
        """Add a group of four weekly meetings from next week, with a closing time after it."""
        self.made += 1
        first = self.now + timedelta(days=8, minutes=200 * self.made)
        group = add_group(self.session, self._centre(), first=first, capacity=capacity)
        after = first + timedelta(days=30)
        self.closing[group.id] = add_slot(self.session, self._centre(), SlotKind.CLOSING, after).id
        self.session.commit()
        return group.id

    def _staff(self) -> Actor:
        return Actor(kind="staff", id=uuid.uuid4(), centre_id=self.world.centre_a)

    def requested(self) -> Built:
        """A course with its intro talk booked."""
        token, course = start_course(self.app.test_client(), self.world, slot=self.intro_slot())
        return Built(token, course["id"])

    def _api(self, method: str, path: str, token: str, json: object = None) -> None:
        answer = getattr(self.app.test_client(), method)(path, json=json, headers=bearer(token))
        assert answer.status_code < 300, answer.get_json()

    def _cancel_live(self, built: Built, kind: BookingKind) -> None:
        me = self.app.test_client().get("/api/v1/me", headers=bearer(built.token)).get_json()
        (booking,) = [
            b["id"]
            for b in me["bookings"]
            if b["kind"] == kind.value and b["status"] in ("booked", "waitlisted")
        ]
        self._api("delete", f"/api/v1/me/bookings/{booking}", built.token)

    def intro_cancelled(self) -> Built:
        """A request whose intro talk the citizen cancelled."""
        built = self.requested()
        self._cancel_live(built, BookingKind.INTRO)
        return built

    def intro_held(self) -> Built:
        """A request whose intro talk has taken place, with no decision yet."""
        built = self.requested()
        hold_intro(self.session, built.course_id, now=self.now)
        return built

    def intro_missed(self) -> Built:
        """A request whose citizen did not come to the intro talk."""
        built = self.intro_held()
        course = uuid.UUID(built.course_id)
        talks.record_no_show(self.session, self._staff(), course, BookingKind.INTRO, now=self.now)
        self.session.commit()
        return built

    def never_came(self) -> Built:
        """A request closed as never came."""
        built = self.intro_missed()
        outcome = pathway.Outcome.NEVER_CAME
        course = uuid.UUID(built.course_id)
        pathway.record_outcome(self.session, self._staff(), course, outcome, now=self.now)
        self.session.commit()
        return built

    def _decided(self, decision: pathway.Decision) -> Built:
        built = self.intro_held()
        course = uuid.UUID(built.course_id)
        pathway.decide(self.session, self._staff(), course, decision, now=self.now)
        self.session.commit()
        return built

    def approved(self) -> Built:
        """A course approved after its intro talk."""
        return self._decided(pathway.Decision.APPROVED)

    def referred(self) -> Built:
        """A course referred to ordinary treatment."""
        return self._decided(pathway.Decision.REFERRED)

    def _join(self, built: Built, group: uuid.UUID) -> Built:
        self._api("post", "/api/v1/me/bookings", built.token, {"group_id": str(group)})
        built.group_id = group
        return built

    def active(self) -> Built:
        """A course with a place in a group."""
        return self._join(self.approved(), self.group(capacity=2))

    def waitlisted(self) -> Built:
        """A course on the waitlist of a full group."""
        group = self.group(capacity=1)
        other = self._join(self.approved(), group)
        built = self._join(self.approved(), group)
        built.others.append(other.token)
        return built

    def promoted(self) -> Built:
        """A course given a place from the waitlist when the member before it left."""
        built = self.waitlisted()
        other = Built(built.others[0], "")
        self._cancel_live(other, BookingKind.GROUP)
        return built

    def closing_booked(self) -> Built:
        """A course in a group with its closing talk booked after the group."""
        built = self.active()
        slot = self.closing[built.group_id]
        self._api("post", "/api/v1/me/bookings", built.token, {"slot_id": str(slot)})
        return built

    def left_group(self) -> Built:
        """A course whose citizen left the group they had a place in."""
        built = self.active()
        self._cancel_live(built, BookingKind.GROUP)
        return built

    def completed(self) -> Built:
        """A course closed as completed."""
        built = self.active()
        outcome = pathway.Outcome.COMPLETED
        course = uuid.UUID(built.course_id)
        pathway.record_outcome(self.session, self._staff(), course, outcome, now=self.now)
        self.session.commit()
        return built

    def _ended(self, built: Built, outcome: pathway.Outcome) -> Built:
        course = uuid.UUID(built.course_id)
        pathway.record_outcome(self.session, self._staff(), course, outcome, now=self.now)
        self.session.commit()
        return built

    def dropped(self) -> Built:
        """A course closed as dropped after the citizen had a group place."""
        return self._ended(self.active(), pathway.Outcome.DROPPED)

    def ended_before_a_group(self) -> Built:
        """An approved course closed before it had a group place (recorded as cancelled)."""
        return self._ended(self.approved(), pathway.Outcome.DROPPED)

    def erased(self) -> Built:
        """A course the citizen erased."""
        built = self.requested()
        self._api("delete", "/api/v1/me", built.token)
        return built

    def state(self, name: str) -> Built:
        """Build the named state."""
        build: Callable[[], Built] = getattr(self, name)
        return build()
