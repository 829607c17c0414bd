"""Forms of the steps staff take for a caller on the phone, and of the search by reference."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length


class ReferenceForm(FlaskForm):
    """The course reference the citizen reads out; a search, so sent by GET without a token."""

    reference = StringField(
        "Forløbets reference",
        validators=[InputRequired("Skriv referencen, som borgeren læser op."), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class TalkForm(FlaskForm):
    """A time for the intro or closing talk; the rules, not the list, decide whether it is free."""

    slot = SelectField("Tid", validators=[InputRequired("Vælg en tid.")], validate_choice=False)


class GroupForm(FlaskForm):
    """A group for the course: a place, or a place on its waitlist when it is full."""

    group = SelectField(
        "Gruppe", validators=[InputRequired("Vælg en gruppe.")], validate_choice=False
    )


class CancelForm(FlaskForm):
    """Which of the course's live bookings to cancel; a course holds one of each kind at most."""

    kind = RadioField(
        "Hvad skal aflyses?",
        validators=[
            InputRequired("Vælg hvad der skal aflyses."),
            AnyOf(("intro", "group", "closing"), "Vælg hvad der skal aflyses."),
        ],
        validate_choice=False,
    )
