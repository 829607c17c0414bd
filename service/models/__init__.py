"""The typed SQLAlchemy models; every table of the service is imported here."""

from service.core.roles import Role
from service.models.access import ApiKey, AuditEvent, IdempotentAnswer
from service.models.base import Base
from service.models.directory import Centre, Contract, Municipality
from service.models.feeds import CalendarFeed
from service.models.hooks import Delivery, DeliveryStatus, Webhook
from service.models.pathway import (
    OPEN_STATUSES,
    Attendance,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    CourseStatus,
)
from service.models.schedule import Group, GroupSession, Slot, SlotKind
from service.models.staff import CENTRE_ROLES, StaffAccount, StaffSession
from service.models.tallies import (
    StatsPublished,
    Tally,
    WaitTally,
)
from service.models.web import WebSession

__all__ = [
    "CENTRE_ROLES",
    "OPEN_STATUSES",
    "ApiKey",
    "Attendance",
    "AuditEvent",
    "Base",
    "Booking",
    "BookingKind",
    "BookingStatus",
    "CalendarFeed",
    "Centre",
    "Contract",
    "Course",
    "CourseStatus",
    "Delivery",
    "DeliveryStatus",
    "Group",
    "GroupSession",
    "IdempotentAnswer",
    "Municipality",
    "Role",
    "Slot",
    "SlotKind",
    "StaffAccount",
    "StaffSession",
    "StatsPublished",
    "Tally",
    "WaitTally",
    "WebSession",
    "Webhook",
]
