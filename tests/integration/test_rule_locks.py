"""The booking rules take their own row locks: a caller cannot forget one (SPEC rule 2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service.booking import pathway, reservations
from service.db import make_engine
from service.models import Course
from tests.conftest import TEST_TOKEN_KEY
from tests.support.world import HOME, build_world


@pytest.mark.postgres
def test_booking_a_talk_waits_for_the_lock_another_transaction_holds_on_the_course(
    pg_session: Session, postgres_url: str
) -> None:
    """book_slot locks the course itself: while another transaction holds it, the booking waits."""
    now = datetime.now(UTC)
    world = build_world(pg_session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=now)
    _, course = pathway.create_course(
        pg_session,
        crypto.Keyring.parse(TEST_TOKEN_KEY),
        home_municipality=HOME,
        centre_id=world.centre_a,
        intro_slot_id=world.intro_a[0],
        language="da",
        now=now,
    )
    pg_session.commit()
    engine: Engine = make_engine(postgres_url)
    try:
        with sessionmaker(bind=engine)() as holder, sessionmaker(bind=engine)() as booker:
            holder.scalar(select(Course.id).where(Course.id == course.id).with_for_update())
            booker.execute(text("SET lock_timeout = '300ms'"))

            with pytest.raises(OperationalError, match="lock timeout"):
                reservations.book_slot(booker, course.id, world.intro_a[1], now=now)
            booker.rollback()
            holder.rollback()
    finally:
        engine.dispose()
