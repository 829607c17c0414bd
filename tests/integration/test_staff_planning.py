"""Planning pages: holidays in patterns and groups, moving a meeting, the day and week views,
the slots by week and the printable group list, each form submitted from its page."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.clock import LOCAL, local_to_utc, local_today
from service.models import AuditEvent, Booking, BookingStatus, Group, GroupSession, Slot
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World

PATTERN = "/staff/slots/pattern"


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def browser(client: FlaskClient, staff: Staff) -> Citizen:
    """Return a browser signed in as staff of centre A."""
    sign_in(client, staff["staff_a"])
    return Citizen(client)


def _christmas_week(now: datetime) -> date:
    """Return the next 17 December still to come: a week before juleaften."""
    today = local_today(now)
    this_year = date(today.year, 12, 17)
    return this_year if this_year > today else date(today.year + 1, 12, 17)


def _slots_on(session: Session, world: World, day: date) -> int:
    session.expire_all()
    start = local_to_utc(day, time(0))
    found = session.scalar(
        select(func.count(Slot.id)).where(
            Slot.centre_id == world.centre_a,
            Slot.starts_at >= start,
            Slot.starts_at < start + timedelta(days=1),
        )
    )
    return found or 0


def _pattern(first: date, **changes: object) -> dict[str, object]:
    return {
        "kind": "intro",
        "first_day": first.isoformat(),
        "weekdays": [str(first.weekday())],
        "start": "10:00",
        "weeks": "3",
        **changes,
    }


# Holidays in slot patterns


def test_a_slot_pattern_across_christmas_skips_juleaften_and_nytaarsaften_and_says_so(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """Three Thursdays from 17 December: one slot, and the page names the two dates skipped."""
    first = _christmas_week(now)
    form_page = browser.get(PATTERN)

    answer = browser.submit(form_page, PATTERN, _pattern(first))

    assert answer.status == 303
    shown = browser.get(answer.response.headers["Location"]).text()
    eve, new_years_eve = first + timedelta(days=7), first + timedelta(days=14)
    assert "1 tid er tilføjet." in shown
    assert "Sprunget over, fordi stedet holder lukket på helligdage:" in shown
    assert f"{eve:%d.%m.%Y} (juleaftensdag)" in shown
    assert f"{new_years_eve:%d.%m.%Y} (nytårsaften)" in shown
    assert [_slots_on(session, world, d) for d in (first, eve, new_years_eve)] == [1, 0, 0]


def test_a_slot_pattern_with_holidays_ticked_plans_on_juleaften(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """The box "include holidays" puts a slot on 24 December as on any day."""
    first = _christmas_week(now)
    form_page = browser.get(PATTERN)

    answer = browser.submit(form_page, PATTERN, _pattern(first, include_holidays="y"))

    assert answer.status == 303
    assert _slots_on(session, world, first + timedelta(days=7)) == 1


def test_a_pattern_on_holidays_only_is_refused_and_keeps_what_was_typed(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """One week on juleaften alone adds nothing: 422, the message by the weekdays, the values
    typed still in the form."""
    eve = _christmas_week(now) + timedelta(days=7)
    form_page = browser.get(PATTERN)

    answer = browser.submit(form_page, PATTERN, _pattern(eve, weeks="1", start="09:15"))

    assert answer.status == 422
    assert '<p class="field-error" id="weekdays-error">Alle mønsterets tider' in answer.html
    assert f'value="{eve.isoformat()}"' in answer.html
    assert 'value="09:15"' in answer.html
    assert _slots_on(session, world, eve) == 0


# New groups


def test_the_new_group_form_offers_sixteen_weekly_meetings_of_150_minutes(
    browser: Citizen,
) -> None:
    """The form's defaults follow the domain: 16 weekly meetings of 2½ hours, holidays skipped."""
    form = browser.get("/staff/groups").form("/staff/groups")

    assert (form.values["weeks"], form.values["minutes"]) == ("16", "150")
    assert "include_holidays" in form.names
    assert "include_holidays" not in form.values


def test_a_new_group_across_christmas_skips_the_holidays_and_says_which(
    browser: Citizen, session: Session, now: datetime
) -> None:
    """A group from 17 December with the form's defaults: 16 weeks of 150-minute meetings, less
    juleaften, nytårsaften and any other holiday on its weekday, each named on the group's page."""
    first = _christmas_week(now)
    form_page = browser.get("/staff/groups")

    answer = browser.submit(
        form_page,
        "/staff/groups",
        {
            "name": "Torsdagsgruppen",
            "first_day": first.isoformat(),
            "weekdays": [str(first.weekday())],
            "start": "17:00",
        },
    )

    assert answer.status == 303
    shown = browser.get(answer.response.headers["Location"]).text()
    group = session.scalars(select(Group).where(Group.name == "Torsdagsgruppen")).one()
    days = [s.starts_at.astimezone(LOCAL).date() for s in group.sessions]
    skipped = [first + timedelta(weeks=n) for n in range(16)]
    skipped = [day for day in skipped if day not in days]
    assert f"Gruppen er oprettet med {len(days)} møder." in shown
    assert first + timedelta(days=7) in skipped
    assert first + timedelta(days=14) in skipped
    assert all(f"{day:%d.%m.%Y} (" in shown for day in skipped)
    assert "(juleaftensdag)" in shown
    assert "(nytårsaften)" in shown
    assert {s.ends_at - s.starts_at for s in group.sessions} == {timedelta(minutes=150)}


def test_a_meeting_on_a_holiday_is_flagged_on_the_group_page(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """A group's existing meeting that falls on juleaften is marked, and the page says so."""
    meeting = session.get_one(Group, world.group_a).sessions[3]
    eve = _christmas_week(now) + timedelta(days=7)
    meeting.starts_at = local_to_utc(eve, time(17))
    meeting.ends_at = meeting.starts_at + timedelta(minutes=150)
    session.commit()

    page = browser.get(f"/staff/groups/{world.group_a}")

    assert page.status == 200
    assert "Helligdag: Juleaftensdag" in page.text()
    assert "1 møde falder på en helligdag" in page.text()
    assert page.html.count('class="on-holiday"') == 1


# Moving a meeting


def _move_path(group: uuid.UUID, meeting: uuid.UUID) -> str:
    return f"/staff/groups/{group}/sessions/{meeting}/move"


def test_a_move_onto_a_holiday_is_refused_until_confirmed(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """Onto juleaften without the box: 422 by the date, nothing moved; with it: moved."""
    meeting = session.get_one(Group, world.group_a).sessions[1]
    before = meeting.starts_at
    session.commit()
    path = _move_path(world.group_a, meeting.id)
    eve = (_christmas_week(now) + timedelta(days=7)).isoformat()
    move = {"day": eve, "start": "10:00", "minutes": "150"}

    refused = browser.submit(browser.get(path), path, move)
    session.expire_all()
    unmoved = session.get_one(GroupSession, meeting.id).starts_at
    session.commit()  # end the read, so that SQLite lets the app write
    confirmed = browser.submit(refused, path, {**move, "onto_holiday": "y"})

    assert refused.status == 422
    assert '<p class="field-error" id="day-error">Den nye dato er en helligdag (Juleaftensdag)' in (
        refused.html
    )
    assert unmoved == before
    assert confirmed.status == 303
    session.expire_all()
    assert session.get_one(GroupSession, meeting.id).starts_at == local_to_utc(
        date.fromisoformat(eve), time(10)
    )


def _event_starts(calendar: bytes) -> set[datetime]:
    parsed = Calendar.from_ical(calendar)
    return {event.decoded("dtstart") for event in parsed.walk("VEVENT")}


def test_a_moved_meeting_moves_in_members_calendars_and_the_waitlist_stays(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """Two members and one waiting: after the move the member's calendar file shows the new
    time and not the old, the move is audited, and places and the waitlist are unchanged."""
    tokens = []
    for slot in world.intro_a[:3]:
        token, _ = approved_course(client, world, session, now=now, slot=slot)
        joined = client.post(
            "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
        )
        assert joined.status_code == 201, joined.get_json()
        tokens.append(token)
    meeting = session.get_one(Group, world.group_a).sessions[1]
    old, meeting_id = meeting.starts_at, meeting.id
    session.commit()
    statuses = _group_statuses(session, world.group_a)
    new_day = (old + timedelta(days=2)).astimezone(LOCAL).date()
    sign_in(client, staff["staff_a"])
    browser = Citizen(client)
    path = _move_path(world.group_a, meeting_id)

    answer = browser.submit(
        browser.get(path),
        path,
        {"day": new_day.isoformat(), "start": "18:00", "minutes": "150", "onto_holiday": "y"},
    )

    assert answer.status == 303
    calendar = client.get("/api/v1/me/calendar.ics", headers=bearer(tokens[0]))
    starts = _event_starts(calendar.get_data())
    assert local_to_utc(new_day, time(18)) in starts
    assert old not in starts
    assert _group_statuses(session, world.group_a) == statuses
    assert sorted(statuses.values()) == ["booked", "booked", "waitlisted"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "group_session.moved"))
    assert event is not None
    assert event.object_id == meeting_id


def _group_statuses(session: Session, group: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(Booking.course_id, Booking.status).where(
            Booking.group_id == group,
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
        )
    ).all()
    session.commit()  # end the read, so that SQLite lets the app write
    return {course: status.value for course, status in rows}


# The day, tomorrow and the week


def test_the_day_view_links_today_tomorrow_and_the_week(browser: Citizen) -> None:
    """ "I dag" carries the links to "I morgen" and "Uge", and marks itself as the current one."""
    page = browser.get("/staff/")

    assert page.links("/staff/tomorrow") == ["/staff/tomorrow"]
    assert page.links("/staff/week") == ["/staff/week"]
    assert '<a href="/staff/" aria-current="page">I dag</a>' in page.html


def test_tomorrow_shows_tomorrows_talks_by_reference(
    client: FlaskClient, staff: Staff, world: World, now: datetime
) -> None:
    """A talk booked for tomorrow is on the tomorrow view, by course reference."""
    _, course = start_course(client, world, slot=world.intro_a[0])  # a day from now
    sign_in(client, staff["staff_a"])
    tomorrow = local_today(now + timedelta(days=1))

    page = Citizen(client).get("/staff/tomorrow")

    assert page.status == 200
    assert f"{tomorrow:%d.%m.%Y}" in page.text().split("I morgen,", 1)[1]
    assert course["reference"] in page.text()
    assert '<a href="/staff/tomorrow" aria-current="page">' in page.html


def test_the_week_lists_monday_to_sunday_and_pages_to_the_next(
    browser: Citizen, session: Session, world: World
) -> None:
    """The week of the group's first meeting: seven day headings from Monday, the meeting on
    its day, and links to the weeks before and after."""
    first = session.get_one(Group, world.group_a).sessions[0].starts_at.astimezone(LOCAL)
    monday = first.date() - timedelta(days=first.weekday())

    page = browser.get(f"/staff/week?uge={first.date().isoformat()}")

    text = page.text()
    headings = [f"{monday + timedelta(days=n):%d.%m.%Y}" for n in range(7)]
    assert text.index("mandag " + headings[0]) < text.index("søndag " + headings[6])
    assert f"Gruppemøde {first:%H:%M}" in text.split(f"{first:%d.%m.%Y}", 1)[1]
    assert page.links("/staff/week?uge=") == [
        f"/staff/week?uge={monday - timedelta(days=7)}",
        f"/staff/week?uge={monday + timedelta(days=7)}",
    ]


def test_the_slots_page_shows_one_week_by_day_and_pages_by_week(
    browser: Citizen, session: Session, world: World, now: datetime
) -> None:
    """This week's slots under a heading per day; a slot three weeks ahead only on its week's
    page, reached by "Næste uge"; no "Forrige uge" before this week."""
    later = local_today(now) + timedelta(weeks=3)
    add = browser.get("/staff/slots")
    added = browser.submit(
        add,
        "/staff/slots",
        {"day": later.isoformat(), "start": "11:00", "minutes": "45", "kind": "intro"},
    )
    browser.get(added.response.headers["Location"])  # the week of the new slot, with the notice
    this_week = browser.get("/staff/slots")
    page = this_week
    for _ in range(3):
        page = browser.get(page.links("/staff/slots?uge=")[-1])

    tomorrow = local_today(now + timedelta(days=1))
    assert "Forrige uge" not in this_week.text()
    assert f"{later:%d.%m.%Y}" not in this_week.text()
    if tomorrow.weekday() != 0:  # tomorrow's slot (the world's) is this week's
        assert f"{tomorrow:%d.%m.%Y}" in this_week.html.split("<h3>", 1)[1]
    assert f"{later:%d.%m.%Y}" in page.text()
    assert "11:00\N{EN DASH}11:45" in page.text().split(f"{later:%d.%m.%Y}", 1)[1]
    assert "Forrige uge" in page.text()


# The printable list


def test_the_group_list_prints_name_meetings_and_members_by_reference(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """The print page holds the group's name, each meeting's date and each member's reference,
    and is linked from the group's page."""
    token, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    joined = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    )
    assert joined.status_code == 201, joined.get_json()
    group = session.get_one(Group, world.group_a)
    first = group.sessions[0].starts_at.astimezone(LOCAL)
    session.commit()
    sign_in(client, staff["staff_a"])
    browser = Citizen(client)

    group_page = browser.get(f"/staff/groups/{world.group_a}")
    printed = browser.get(group_page.links(f"/staff/groups/{world.group_a}/print")[0])

    assert printed.status == 200
    assert f"<h1>{group.name}</h1>" in printed.html
    assert f"{first:%d.%m.%Y %H:%M}" in printed.text()
    assert course["reference"] in printed.text()
