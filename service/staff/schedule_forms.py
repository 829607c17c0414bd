"""Forms of the staff's planning pages: slots, weekly patterns, groups, moves and attendance.

The fields only read what was typed (a date, a time, a whole number) and
say so in Danish when they cannot; whether the times make a plan, whether a
capacity or a group name is acceptable, is decided by the rules in
``service.booking.schedule``. The upper bounds below only keep a typo from
asking for thousands of slots at once.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from service.staff.pages import WEEKDAYS

KIND_NAMES = {"intro": "Første samtale", "closing": "Afsluttende samtale"}
LONGEST_MINUTES = 8 * 60
MOST_WEEKS = 52


class _Danish:
    """Mixin: a value that cannot be read gets a Danish message; an empty one is left to
    ``InputRequired``, so a field never shows two messages for one mistake."""

    unreadable = "Værdien kan ikke læses."
    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the value, or refuse it in Danish."""
        if valuelist and str(valuelist[0]).strip() == "":
            self.data = None
            return
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError:
            raise ValueError(self.unreadable) from None


class DayField(_Danish, DateField):
    """A calendar date, typed in a date picker (sent as YYYY-MM-DD)."""

    unreadable = "Skriv en gyldig dato."


class ClockField(_Danish, TimeField):
    """A Copenhagen wall-clock time (sent as HH:MM)."""

    unreadable = "Skriv et klokkeslæt som 17:00."


class WholeField(_Danish, IntegerField):
    """A whole number."""

    unreadable = "Skriv et helt tal."


class ChecksField(SelectMultipleField):
    """Several choices as check boxes; the view fills in the choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse a value that is not among the choices, in Danish."""
        offered = {choice.value for choice in self.choices or []}
        if any(value not in offered for value in self.data or []):
            raise ValidationError("Vælg blandt dem på listen.")


class WeekdaysField(ChecksField):
    """The weekdays of a weekly pattern, as check boxes (0 = mandag)."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(
            label,
            choices=[SelectChoice(str(n), name) for n, name in enumerate(WEEKDAYS)],
            **kwargs,
        )

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse no weekday at all, or a value that is not a weekday, in Danish."""
        if not self.data:
            raise ValidationError("Vælg mindst én ugedag.")
        super().pre_validate(form)

    def weekdays(self) -> frozenset[int]:
        """Return the chosen weekdays as numbers."""
        return frozenset(int(value) for value in self.data or [])


def _kind() -> SelectField:
    return SelectField(
        "Slags samtale",
        choices=[SelectChoice(value, name) for value, name in KIND_NAMES.items()],
        validators=[
            InputRequired("Vælg slags samtale."),
            AnyOf(list(KIND_NAMES), message="Vælg slags samtale på listen."),
        ],
        validate_choice=False,
    )


def _day(label: str) -> DayField:
    return DayField(label, validators=[InputRequired("Vælg en dato.")])


def _start(label: str = "Starttidspunkt") -> ClockField:
    return ClockField(label, validators=[InputRequired("Skriv et klokkeslæt.")])


def _minutes(default: int) -> WholeField:
    return WholeField(
        "Varighed i minutter",
        default=default,
        validators=[
            InputRequired("Skriv hvor mange minutter."),
            NumberRange(1, LONGEST_MINUTES, "Skriv et antal minutter fra 1 til 480."),
        ],
    )


def _weeks(default: int) -> WholeField:
    return WholeField(
        "Antal uger",
        default=default,
        validators=[
            InputRequired("Skriv hvor mange uger."),
            NumberRange(1, MOST_WEEKS, f"Skriv et antal uger fra 1 til {MOST_WEEKS}."),
        ],
    )


def _include_holidays() -> BooleanField:
    return BooleanField("Læg også tider på helligdage", default=False)


class SlotForm(FlaskForm):
    """One individual slot."""

    day = _day("Dato")
    start = _start()
    minutes = _minutes(45)
    kind = _kind()


class PatternForm(FlaskForm):
    """Individual slots on chosen weekdays, at one time, for a number of weeks."""

    first_day = _day("Første dag")
    weekdays = WeekdaysField("Ugedage")
    start = _start()
    minutes = _minutes(45)
    weeks = _weeks(4)
    kind = _kind()
    include_holidays = _include_holidays()


class GroupForm(FlaskForm):
    """A new group and its sessions as a weekly pattern."""

    name = StringField(
        "Navn",
        validators=[InputRequired("Skriv et navn til gruppen."), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    capacity = WholeField(
        "Antal pladser",
        default=8,
        validators=[
            InputRequired("Skriv antallet af pladser."),
            NumberRange(max=999, message="Skriv højst 999 pladser."),
        ],
    )
    intake_open = BooleanField("Åben for nye deltagere", default=True)
    late_join_until = WholeField(
        "Nye kan komme med, indtil dette møde er begyndt (mødets nummer)",
        validators=[
            InputRequired("Skriv mødets nummer."),
            NumberRange(1, 999, "Skriv et mødenummer fra 1."),
        ],
    )
    first_day = _day("Første dag")
    weekdays = WeekdaysField("Ugedage")
    start = _start()
    # The domain's course: 16 weekly meetings of 2-3 hours (SPEC section 1, the HCS model).
    minutes = _minutes(150)
    weeks = _weeks(16)
    include_holidays = _include_holidays()


class CapacityForm(FlaskForm):
    """A group's new capacity."""

    capacity = WholeField(
        "Antal pladser",
        validators=[
            InputRequired("Skriv antallet af pladser."),
            NumberRange(max=999, message="Skriv højst 999 pladser."),
        ],
    )


class IntakeForm(FlaskForm):
    """Whether a group takes new members."""

    intake = SelectField(
        "Optag",
        choices=[
            SelectChoice("open", "Åben for nye deltagere"),
            SelectChoice("closed", "Lukket for nye deltagere"),
        ],
        validators=[
            InputRequired("Vælg åben eller lukket."),
            AnyOf(["open", "closed"], message="Vælg åben eller lukket."),
        ],
        validate_choice=False,
    )


class MoveForm(FlaskForm):
    """A session's new date and time."""

    day = _day("Ny dato")
    start = _start("Nyt starttidspunkt")
    minutes = _minutes(150)
    onto_holiday = BooleanField("Flyt mødet, også hvis den nye dato er en helligdag")


class AttendanceForm(FlaskForm):
    """Who came: a check box per member; a member left unticked was absent."""

    present = ChecksField("Til stede")
