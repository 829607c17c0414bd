"""The forms of the staff pages (WTForms through Flask-WTF: CSRF token, errors per field)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    """Username and password (or the one-time setup code)."""

    username = StringField(
        "Brugernavn",
        validators=[InputRequired("Skriv dit brugernavn."), Length(max=40)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Adgangskode",
        validators=[InputRequired("Skriv din adgangskode."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "Ny adgangskode (mindst 12 tegn)",
        validators=[InputRequired("Skriv en ny adgangskode."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        "Gentag den nye adgangskode",
        validators=[EqualTo("password", "De to adgangskoder er ikke ens.")],
        render_kw={"autocomplete": "new-password"},
    )
