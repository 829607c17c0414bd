"""Load and dump schemas of the JSON API; the OpenAPI document is generated from them.

Every load schema refuses unknown fields (marshmallow's default, RAISE); server
fields exist only on dump schemas.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.api.fields import Instant, WallTime
from service.models import BookingStatus, CourseStatus

COURSE_STATUSES = [status.value for status in CourseStatus]


class MunicipalitySchema(Schema):
    """A municipality."""

    code = fields.String(metadata={"example": "101"})
    name = fields.String()
    region = fields.String()


class CentreSchema(Schema):
    """A centre as anyone may see it: its public, discreet address."""

    id = fields.UUID()
    name = fields.String()
    municipality_code = fields.String()
    municipality_name = fields.String(attribute="municipality.name")
    address = fields.String()
    entrance = fields.String(metadata={"description": "How to find the discreet entrance."})
    entrance_en = fields.String(
        metadata={"description": "The same in English; empty when only the Danish is given."}
    )
    opening_hours = fields.String()
    opening_hours_en = fields.String(
        metadata={"description": "The same in English; empty when only the Danish is given."}
    )
    languages = fields.Function(lambda centre: centre.languages.split())
    phone = fields.String(
        metadata={"description": "The centre's own phone number (national format), or empty."}
    )


class SlotSchema(Schema):
    """An individual time."""

    id = fields.UUID()
    centre_id = fields.UUID()
    kind = fields.String(metadata={"enum": ["intro", "closing"]})
    starts_at = Instant()
    ends_at = Instant()


class SessionSchema(Schema):
    """One meeting of a group."""

    id = fields.UUID()
    number = fields.Integer()
    starts_at = Instant()
    ends_at = Instant()


class GroupSchema(Schema):
    """A group course with its places, waitlist and sessions."""

    id = fields.UUID(attribute="group.id")
    centre_id = fields.UUID(attribute="group.centre_id")
    name = fields.String(attribute="group.name")
    capacity = fields.Integer(attribute="group.capacity")
    places_left = fields.Integer()
    waitlist_length = fields.Integer(attribute="waitlist")
    intake_open = fields.Boolean(attribute="group.intake_open")
    joinable = fields.Boolean(
        metadata={"description": "Intake is open and joining is still allowed."}
    )
    late_join_until = fields.Integer(attribute="group.late_join_until")
    sessions = fields.List(fields.Nested(SessionSchema), attribute="group.sessions")


class ProviderSchema(Schema):
    """A centre a citizen may choose, with its next free intro and groups with places left."""

    centre = fields.Nested(CentreSchema)
    next_intro_at = Instant(attribute="next_intro", allow_none=True)
    groups = fields.List(fields.Nested(GroupSchema))


class SlotQuerySchema(Schema):
    """Which kind of slot to list."""

    kind = fields.String(load_default="intro", validate=validate.OneOf(["intro", "closing"]))


class CourseCreateSchema(Schema):
    """A citizen's request: home municipality, centre, intro time, and that they are 18+."""

    home_municipality = fields.String(
        required=True, validate=validate.Regexp(r"^\d{3}$", error="Three digits, e.g. 101.")
    )
    centre_id = fields.UUID(required=True)
    intro_slot_id = fields.UUID(required=True)
    confirm_adult = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Anonymous treatment is for adults (18 or over)."),
    )
    language = fields.String(load_default="da", validate=validate.OneOf(["da", "en"]))


class GroupRefSchema(Schema):
    """The group a booking is for."""

    id = fields.UUID()
    name = fields.String()


class BookingSchema(Schema):
    """A booking with its time or group and, when waiting, its place in the queue."""

    id = fields.UUID()
    kind = fields.String(metadata={"enum": ["intro", "group", "closing"]})
    status = fields.String(metadata={"enum": [status.value for status in BookingStatus]})
    slot = fields.Nested(SlotSchema, allow_none=True)
    group = fields.Nested(GroupRefSchema, allow_none=True)
    sessions = fields.List(fields.Nested(SessionSchema))
    waitlist_position = fields.Integer(allow_none=True)


class CourseSchema(Schema):
    """A course as its citizen sees it."""

    id = fields.UUID()
    reference = fields.String(metadata={"description": "Staff-facing reference, not a secret."})
    status = fields.String(metadata={"enum": COURSE_STATUSES})
    centre = fields.Nested(CentreSchema)
    home_municipality = fields.String()
    language = fields.String()
    requested_at = Instant()
    decided_at = Instant(allow_none=True)
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)
    bookings = fields.List(fields.Nested(BookingSchema))


class CourseCreatedSchema(Schema):
    """The new token, shown this once, and the course."""

    token = fields.String(
        metadata={
            "description": "The citizen's code. Shown only once; only its keyed digest is stored.",
            "example": "7K3M-Q9TD-0PXA-H2RW-B5NE",
        }
    )
    course = fields.Nested(CourseSchema)


class BookingCreateSchema(Schema):
    """Book an intro or closing slot, or a place in a group: exactly one of the two."""

    slot_id = fields.UUID()
    group_id = fields.UUID()

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("slot_id" in data) == ("group_id" in data):
            raise ValidationError("Give either slot_id or group_id.", "_schema")


class IntervalSchema(Schema):
    """A start and an end."""

    starts_at = Instant(required=True)
    ends_at = Instant(required=True)


class WeeklySchema(Schema):
    """A weekly pattern in Copenhagen wall-clock time."""

    first_day = fields.Date(required=True)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(0, 6)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "0 = Monday ... 6 = Sunday."},
    )
    start_time = WallTime(required=True, metadata={"example": "17:00"})
    minutes = fields.Integer(required=True, validate=validate.Range(5, 480))
    weeks = fields.Integer(required=True, validate=validate.Range(1, 52))


class _OneOrPattern(Schema):
    times = fields.List(fields.Nested(IntervalSchema), validate=validate.Length(min=1, max=500))
    weekly = fields.Nested(WeeklySchema)

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("times" in data) == ("weekly" in data):
            raise ValidationError("Give either times or weekly.", "_schema")


class SlotCreateSchema(_OneOrPattern):
    """One or more slots, or a weekly pattern of them."""

    kind = fields.String(required=True, validate=validate.OneOf(["intro", "closing"]))


class GroupCreateSchema(_OneOrPattern):
    """A group with its sessions, given as a list or a weekly pattern."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    capacity = fields.Integer(required=True, validate=validate.Range(1, 50))
    intake_open = fields.Boolean(load_default=True)
    late_join_until = fields.Integer(validate=validate.Range(1, 100))


class GroupPatchSchema(Schema):
    """Change a group's capacity or intake."""

    capacity = fields.Integer(validate=validate.Range(1, 50))
    intake_open = fields.Boolean()

    @validates_schema
    def _something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give capacity or intake_open.", "_schema")


class StaffCourseSchema(Schema):
    """A course as its centre's staff see it: by reference, with no token."""

    id = fields.UUID()
    reference = fields.String()
    status = fields.String()
    home_municipality = fields.String()
    requested_at = Instant()
    intro_at = Instant(allow_none=True)
    decided_at = Instant(allow_none=True)
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)


class CourseListQuerySchema(Schema):
    """Filter a centre's courses."""

    status = fields.String(validate=validate.OneOf(COURSE_STATUSES))


class DecisionSchema(Schema):
    """The decision after the intro talk."""

    decision = fields.String(required=True, validate=validate.OneOf(["approved", "referred"]))


class OutcomeSchema(Schema):
    """How the course ended."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["completed", "dropped", "never_came"]),
        metadata={
            "description": "never_came closes a requested course whose citizen did not come "
            "to the intro talk (recorded as a no-show by staff)."
        },
    )


class TokenReplacedSchema(Schema):
    """The replacement token, shown this once."""

    token = fields.String()
    course = fields.Nested(StaffCourseSchema)


class CalendarFeedSchema(Schema):
    """A private calendar feed's address, shown once: it holds the feed's secret."""

    url = fields.Url(dump_only=True, metadata={"description": "The feed over https."})
    webcal_url = fields.String(
        dump_only=True, metadata={"description": "The same feed for calendar apps (webcal://)."}
    )


class MarkSchema(Schema):
    """Whether one member came."""

    course_id = fields.UUID(required=True)
    present = fields.Boolean(required=True)


class AttendanceSchema(Schema):
    """Attendance at one session."""

    marks = fields.List(
        fields.Nested(MarkSchema), required=True, validate=validate.Length(min=1, max=100)
    )


class AttendanceRecordSchema(Schema):
    """A recorded mark."""

    booking_id = fields.UUID()
    session_id = fields.UUID()
    present = fields.Boolean()


class VerifySchema(Schema):
    """A token to check."""

    token = fields.String(required=True, validate=validate.Length(max=64))


class VerifiedCourseSchema(Schema):
    """What a service may learn of a verified course."""

    status = fields.String()
    centre_id = fields.UUID()
    home_municipality = fields.String()


class VerifiedSchema(Schema):
    """Whether the token belongs to an open course within the key's reach."""

    valid = fields.Boolean()
    course = fields.Nested(VerifiedCourseSchema, allow_none=True)
