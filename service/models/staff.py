"""Staff accounts and their sessions: argon2id passwords, one role, one centre or municipality."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.core.roles import Role
from service.models.base import Base, enum_column, uuid_pk

CENTRE_ROLES = frozenset({Role.STAFF, Role.CENTRE_ADMIN})


class StaffAccount(Base):
    """A member of staff: a username, an argon2id hash, and the reach of one role."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('staff', 'centre_admin')) = (centre_id IS NOT NULL)",
            name="centre_roles_have_a_centre",
        ),
        CheckConstraint(
            "(role = 'coordinator') = (municipality_code IS NOT NULL)",
            name="coordinators_have_a_municipality",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    centre_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("centres.id"))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    # Until the owner sets a password, this is the hash of the one-time setup code.
    password_hash: Mapped[str] = mapped_column(String(200))
    must_set_password: Mapped[bool] = mapped_column(default=True)
    # When the setup code was issued (None once a password is chosen): the code
    # opens the account for ``STAFF_SETUP_CODE_HOURS`` only. The columns are set
    # together by service.identity.accounts (no CHECK, for the reason below).
    setup_code_issued_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    # The TOTP secret (RFC 6238) once enrolment was confirmed, sealed under a key
    # derived from the keyring: the service must compute codes from it, so it
    # cannot be a one-way hash. service.identity.two_factor sets or clears the
    # three columns together. (No CHECK ties them: SQLite adds one only by
    # copying the table, and dropping the old copy would cascade to sessions.)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_key_version: Mapped[int | None] = mapped_column(SmallInteger)
    # The last 30-second step whose code was accepted: a code of that step or an
    # earlier one is refused, so an overheard code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class StaffSession(Base):
    """A signed-in staff browser: the keyed digest of its handle; deleting the row ends it."""

    __tablename__ = "staff_sessions"

    handle_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


class StaffRecoveryCode(Base):
    """A one-time recovery code for when the authenticator is lost: its argon2id hash only."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(200))
    # Set when the code was used; a used code never opens anything again.
    used_at: Mapped[datetime | None]
