"""Forms of the staff's course pages: decisions, outcomes, booking for a phone caller."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired


class DecisionForm(FlaskForm):
    """The decision after the intro talk."""

    decision = RadioField(
        "Afgørelse",
        choices=[
            SelectChoice("approved", "Godkendt til anonym behandling"),
            SelectChoice("referred", "Henvist til almindelig behandling"),
        ],
        validators=[InputRequired("Vælg en afgørelse.")],
    )


class OutcomeForm(FlaskForm):
    """How a course ends."""

    outcome = RadioField(
        "Forløbet slutter som",
        choices=[SelectChoice("completed", "Gennemført"), SelectChoice("dropped", "Afbrudt")],
        validators=[InputRequired("Vælg hvordan forløbet slutter.")],
    )


class MunicipalityChoiceForm(FlaskForm):
    """The first step of booking for a caller: the home municipality, sent by GET.

    It changes nothing, so it carries no CSRF token; the booking itself is
    ``PhoneBookingForm``, a POST form with its own token.
    """

    class Meta:
        csrf = False

    municipality = SelectField(
        "Borgerens bopælskommune", validators=[InputRequired("Vælg kommunen.")]
    )


class PhoneBookingForm(FlaskForm):
    """Booking for a citizen on the phone: the same choices as the citizen's own form.

    The municipality chosen in the first step rides along as a hidden field.
    """

    municipality = SelectField(
        "Borgerens bopælskommune", validators=[InputRequired("Vælg kommunen.")]
    )
    slot = RadioField(
        "Tid til første samtale",
        validators=[InputRequired("Vælg en tid.")],
        validate_choice=False,
    )
    adult = BooleanField(
        "Borgeren har bekræftet at være 18 år eller derover",
        validators=[DataRequired("Tilbuddet er for voksne: borgeren skal bekræfte at være 18+.")],
    )
