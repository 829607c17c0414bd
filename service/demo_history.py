"""Made-up past activity for the demo: half a year of courses, so that statistics are not zeros.

Each centre gets a group course that ran its 16 weekly meetings and one
that is running now, with members who came through an intro talk, met
(attendance recorded, a few absences), dropped out or finished with a
closing talk, and courses that were referred or never came. Every step
goes through the rule functions with the moment it happened as ``now``,
so the tallies land in the months they belong to, exactly as the service
counts them. The shape comes from a random generator with a fixed seed,
the same on every run; references and codes are random as always, and
nothing here names or describes a person.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import attendance, pathway, reservations, schedule, talks
from service.booking.pathway import Decision, Outcome
from service.core.clock import local_to_utc, local_today, weekly
from service.identity.actors import Actor
from service.models import BookingKind, Centre, Contract, Group, SlotKind

SEED = 20
WEEKS = 26
# Three centres in three regions have a past, the demo staff's among them:
# enough for every view of the statistics, and few enough that the demo
# still starts in a few seconds (every step is a rule call).
CENTRES = ("Center Vesterbro", "Center Fyn", "Center Aarhus")
TALK = timedelta(minutes=45)
TALK_TIMES = (time(8, 15), time(11, 30), time(12, 15), time(16, 0))
# Name, week of the half year and weekday of the first meeting: one group has
# run its 16 meetings, the other is running now.
GROUPS = (("Mandagsgruppen", 3, 0), ("Onsdagsgruppen", 15, 2))


def _weekday(day: date) -> date:
    """Return the day itself, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


@dataclass
class _Course:
    """One made-up citizen's course, planned before it is played through the rules."""

    requested: datetime
    intro: datetime
    decision: Decision | None = None
    course_id: uuid.UUID | None = None
    drops_after: int | None = None
    # A request never taken up: closed as never came (after a no-show) or as cancelled.
    never_came: bool = False


@dataclass
class _Centre:
    """The plan of one centre's half year: its talks, taken one at a time, and its courses."""

    centre: Centre
    rng: random.Random
    homes: list[str]
    now: datetime
    taken: set[datetime] = field(default_factory=set)

    def talk(self, day: date) -> datetime:
        """Return a free talk time on the first weekday from ``day``, marking it taken."""
        day = _weekday(day)
        while True:
            for at in self.rng.sample(TALK_TIMES, len(TALK_TIMES)):
                start = local_to_utc(day, at)
                if start not in self.taken:
                    self.taken.add(start)
                    return start
            day = _weekday(day + timedelta(days=1))

    def course(self, requested: datetime, decision: Decision | None) -> _Course:
        """Plan a course requested at a moment, its intro two to seven days later."""
        intro = self.talk(local_today(requested) + timedelta(days=self.rng.randint(2, 7)))
        return _Course(requested, intro, decision)

    def home(self) -> str:
        """Draw a home municipality: mostly the centre's own, else one of two that contract it."""
        own = self.centre.municipality_code
        return own if self.rng.random() < 0.75 else self.rng.choice(self.homes)


def _moment(day: date, rng: random.Random) -> datetime:
    """Return a time of day on a date, between 07:00 and 22:59 in Copenhagen."""
    return local_to_utc(day, time(rng.randint(7, 22), rng.choice((0, 15, 30, 45))))


class _Play:
    """Plays one centre's planned half year through the rules, in the order it happened."""

    def __init__(
        self, session: Session, keyring: crypto.Keyring, plan: _Centre, start: date
    ) -> None:
        self.session, self.keyring, self.plan, self.start = session, keyring, plan, start
        self.actor = Actor(kind="system", id=None, centre_id=plan.centre.id)
        self.slots: dict[datetime, uuid.UUID] = {}

    def add_slots(self, starts: list[datetime], kind: SlotKind) -> None:
        """Add the centre's past talks as slots, created before the first of them."""
        created = local_to_utc(self.start - timedelta(days=14), time(8, 0))
        intervals = [(start, start + TALK) for start in starts]
        made = schedule.add_slots(
            self.session, self.actor, self.plan.centre.id, kind, intervals, now=created
        )
        self.slots.update({slot.starts_at: slot.id for slot in made})

    def request(self, course: _Course) -> None:
        """Book the intro as the citizen did, then record what the centre decided after it."""
        _, made = pathway.create_course(
            self.session,
            self.keyring,
            home_municipality=self.plan.home(),
            centre_id=self.plan.centre.id,
            intro_slot_id=self.slots[course.intro],
            language=self.plan.rng.choice(("da", "da", "da", "en")),
            now=course.requested,
        )
        course.course_id = made.id
        after = course.intro + TALK + timedelta(minutes=30)
        if after >= self.plan.now:
            return  # The intro talk is still to come.
        if course.decision is not None:
            pathway.decide(self.session, self.actor, made.id, course.decision, now=after)
        else:
            # The citizen did not come. The centre closes the request the next day:
            # as never came after recording the no-show, or as dropped (cancelled).
            later = after + timedelta(days=1)
            outcome = Outcome.DROPPED
            if course.never_came:
                talks.record_no_show(
                    self.session, self.actor, made.id, BookingKind.INTRO, now=after
                )
                outcome = Outcome.NEVER_CAME
            pathway.record_outcome(self.session, self.actor, made.id, outcome, now=later)

    def group(self, name: str, first_day: date, members: list[_Course]) -> None:
        """Run a group of 16 weekly meetings: joining, attendance, drop-outs, closing talks."""
        times = list(
            weekly(
                first_day=first_day,
                weekdays=frozenset({first_day.weekday()}),
                start=time(17, 0),
                minutes=150,
                weeks=16,
            )
        )
        group = schedule.add_group(
            self.session,
            self.actor,
            self.plan.centre.id,
            name=name,
            capacity=9,
            intake_open=True,
            late_join_until=3,
            sessions=times,
            now=local_to_utc(first_day - timedelta(days=42), time(9, 0)),
        )
        for course in members:
            assert course.course_id is not None
            joined = course.intro + timedelta(hours=3)
            reservations.join_group(self.session, course.course_id, group.id, now=joined)
        self._meetings(group, members)

    def _meetings(self, group: Group, members: list[_Course]) -> None:
        staying = list(members)
        for meeting in group.sessions:
            if meeting.ends_at > self.plan.now:
                return
            marks = [
                attendance.Mark(course.course_id, self.plan.rng.random() < 0.85)
                for course in staying
                if course.course_id is not None
            ]
            attendance.record_attendance(
                self.session, self.actor, group.id, meeting.id, marks, now=meeting.ends_at
            )
            for course in [c for c in staying if c.drops_after == meeting.number]:
                assert course.course_id is not None
                left = meeting.ends_at + timedelta(days=2)
                pathway.record_outcome(
                    self.session, self.actor, course.course_id, Outcome.DROPPED, now=left
                )
                staying.remove(course)
        self._closings(group, staying)

    def _closings(self, group: Group, staying: list[_Course]) -> None:
        last = group.sessions[-1].ends_at
        first = local_today(last) + timedelta(days=3)
        starts = [self.plan.talk(first + timedelta(days=n // 2)) for n in range(len(staying))]
        self.add_slots(starts, SlotKind.CLOSING)
        for course, start in zip(staying, starts, strict=True):
            assert course.course_id is not None
            booked = last + timedelta(hours=1)
            reservations.book_slot(self.session, course.course_id, self.slots[start], now=booked)
            done = start + TALK + timedelta(minutes=30)
            pathway.record_outcome(
                self.session, self.actor, course.course_id, Outcome.COMPLETED, now=done
            )


def _plan(
    plan: _Centre, start: date
) -> tuple[list[_Course], list[tuple[str, date, list[_Course]]]]:
    """Plan the centre's courses: group members, referrals and requests never taken up."""
    rng, courses, groups = plan.rng, [], []
    for name, week, weekday in GROUPS:
        first_day = start + timedelta(weeks=week, days=weekday)
        members = []
        for _ in range(rng.randint(6, 8)):
            asked = first_day - timedelta(days=rng.randint(12, 28))
            course = plan.course(_moment(asked, rng), Decision.APPROVED)
            if rng.random() < 0.25:
                course.drops_after = rng.randint(2, 12)
            members.append(course)
        groups.append((name, first_day, members))
        courses.extend(members)
    last = (local_today(plan.now) - start).days - 2
    for decision, count in ((Decision.REFERRED, rng.randint(2, 4)), (None, rng.randint(1, 2))):
        for _ in range(count):
            asked = start + timedelta(days=rng.randint(0, last))
            courses.append(plan.course(_moment(asked, rng), decision))
    # A request of two weeks ago whose citizen did not come to the intro talk.
    missed = local_to_utc(local_today(plan.now) - timedelta(days=14), time(10))
    courses.append(_Course(missed, plan.talk(local_today(missed) + timedelta(days=3))))
    courses[-1].never_came = True
    # Requests of the last days: some intros held and approved, some still to come.
    for days in (8, 1):
        asked = local_today(plan.now) - timedelta(days=days)
        courses.append(plan.course(_moment(asked, rng), Decision.APPROVED))
    courses = [c for c in courses if c.requested < plan.now]
    return courses, groups


def add_history(
    session: Session, keyring: crypto.Keyring, centres: list[Centre], *, now: datetime
) -> None:
    """Play half a year of made-up courses at each centre through the rules, up to ``now``."""
    # Only the shape of made-up data is drawn here; codes and references use secrets.
    rng = random.Random(SEED)  # noqa: S311
    today = local_today(now)
    start = today - timedelta(weeks=WEEKS, days=today.weekday())
    for centre in [c for c in centres if c.name in CENTRES]:
        homes = sorted(
            session.scalars(
                select(Contract.municipality_code).where(Contract.centre_id == centre.id)
            )
        )
        others = [code for code in homes if code != centre.municipality_code]
        plan = _Centre(centre, rng, rng.sample(others, 2), now)
        courses, groups = _plan(plan, start)
        play = _Play(session, keyring, plan, start)
        play.add_slots(sorted(c.intro for c in courses), SlotKind.INTRO)
        for course in sorted(courses, key=lambda c: c.requested):
            play.request(course)
        for name, first_day, members in groups:
            play.group(name, first_day, members)
    session.flush()
