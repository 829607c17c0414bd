"""The forms of the staff pages (WTForms through Flask-WTF: CSRF token, errors per field)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
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
    """A new password, typed twice (after signing in with a setup code)."""

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


class ChangePasswordForm(PasswordForm):
    """The current password, then a new one typed twice."""

    current = PasswordField(
        "Nuværende adgangskode",
        validators=[InputRequired("Skriv din nuværende adgangskode."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeField(StringField):
    """A one-time code: never written back into the page, not even after an error."""

    def _value(self) -> str:
        return ""


class SignInCodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    # The sealed "password was right" value (service.identity.two_factor.seal_sign_in).
    pending = HiddenField()
    code = CodeField(
        "Kode",
        validators=[InputRequired("Skriv koden fra din godkendelsesapp."), Length(max=20)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )


class EnrolForm(FlaskForm):
    """The first code from a newly added authenticator, with the sealed secret it belongs to."""

    # The unconfirmed secret, sealed (service.identity.two_factor.seal_pending).
    pending = HiddenField()
    code = CodeField(
        "Koden, som appen viser (6 cifre)",
        validators=[InputRequired("Skriv koden, som appen viser."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmPasswordForm(FlaskForm):
    """The current password, asked again before two-factor sign-in is reset or turned off."""

    password = PasswordField(
        "Din adgangskode",
        validators=[InputRequired("Skriv din adgangskode."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
