"""The forms of the citizen's pages (WTForms through Flask-WTF: CSRF token, field errors)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class MunicipalityForm(FlaskForm):
    """Step 1: the home municipality (sent by GET, so it changes nothing)."""

    class Meta:
        csrf = False

    municipality = SelectField(
        _l("Your home municipality"),
        validators=[InputRequired(_l("Choose your home municipality."))],
    )


def _adult() -> BooleanField:
    return BooleanField(
        _l("I am 18 or older"),
        validators=[DataRequired(_l("The offer is for adults: confirm that you are 18 or older."))],
    )


class BookForm(FlaskForm):
    """Step 3: an intro time at the chosen place, and the 18+ confirmation.

    ``day`` is the day whose times the page showed, so that a refusal shows it again.
    """

    municipality = HiddenField(validators=[DataRequired()])
    centre = HiddenField(validators=[DataRequired()])
    day = HiddenField()
    slot = RadioField(
        _l("Choose a time for your first talk"),
        validators=[InputRequired(_l("Choose a time."))],
        validate_choice=False,
    )
    adult = _adult()


class SoonestForm(FlaskForm):
    """Step 2's shortcut: the soonest free time among all the places, and the 18+ confirmation."""

    municipality = HiddenField(validators=[DataRequired()])
    slot = HiddenField(validators=[DataRequired()])
    adult = _adult()


class CodeForm(FlaskForm):
    """Entering one's code."""

    code = StringField(
        _l("Your code"),
        validators=[
            InputRequired(_l("Type your code.")),
            Length(max=64, message=_l("That is longer than a code. Type the code again.")),
        ],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )


class SlotForm(FlaskForm):
    """A time for a talk: booking the closing talk or moving a talk."""

    slot = RadioField(
        _l("Choose a time"),
        validators=[InputRequired(_l("Choose a time."))],
        validate_choice=False,
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: its CSRF token is all it carries."""
