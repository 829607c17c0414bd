"""Forms of the administration pages: accounts, centres, API keys, and the statistics' filter.

Choices are filled in by the view, for the account that is signed in; the
rules in service.booking decide what may be made, so a value a form lets
through is still checked there.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_NAMES = {
    "staff": "Medarbejder",
    "centre_admin": "Stedets administrator",
    "coordinator": "Kommunal koordinator",
    "admin": "Administrator",
}
SCOPE_NAMES = {
    "centre:manage": "centre:manage: stedets tider, grupper og forløb",
    "tokens:verify": "tokens:verify: tjek af en borgers kode",
    "stats:read": "stats:read: statistik",
    "directory:manage": "directory:manage: kontrakter (og steder for en landsdækkende nøgle)",
}


class AccountForm(FlaskForm):
    """A new staff account: username, role, and the centre or municipality the role needs."""

    username = StringField(
        "Brugernavn",
        validators=[InputRequired("Skriv et brugernavn."), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    # The roles offered depend on who asks; the view checks the choice, in Danish.
    role = SelectField("Rolle", validators=[InputRequired("Vælg en rolle.")], validate_choice=False)
    # Which centre is the rules' decision (another's answers 404), not the form's.
    centre = SelectField(
        "Sted (for medarbejdere og stedets administratorer)", validate_choice=False
    )
    municipality = SelectField("Kommune (for koordinatorer)", validate_choice=False)


class CentreTextsForm(FlaskForm):
    """What citizens see of a centre, in Danish and English (English falls back to Danish)."""

    name = StringField("Navn", validators=[InputRequired("Skriv stedets navn."), Length(max=120)])
    address = StringField("Adresse", validators=[InputRequired("Skriv adressen."), Length(max=200)])
    entrance = TextAreaField("Sådan finder man den diskrete indgang", validators=[Length(max=2000)])
    entrance_en = TextAreaField("Indgangen på engelsk", validators=[Length(max=2000)])
    opening_hours = StringField("Åbningstider", validators=[Length(max=200)])
    opening_hours_en = StringField("Åbningstider på engelsk", validators=[Length(max=200)])
    phone = StringField(
        "Telefon",
        validators=[Length(max=30)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    languages = StringField(
        "Sprog",
        default="da",
        validators=[InputRequired("Skriv mindst ét sprog, fx da."), Length(max=60)],
    )


class CentreForm(CentreTextsForm):
    """A new centre: its texts, and the municipality it lies in (fixed once made)."""

    municipality = SelectField(
        "Kommune", validators=[InputRequired("Vælg kommunen.")], validate_choice=False
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as check boxes in a list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse a value that is not among the choices, in Danish."""
        offered = {choice.value for choice in self.choices or []}
        if any(value not in offered for value in self.data or []):
            raise ValidationError("Vælg blandt rettighederne på listen.")


class ApiKeyForm(FlaskForm):
    """A new API key: a name, its scopes and its reach."""

    name = StringField(
        "Navn (hvem bruger nøglen)",
        validators=[InputRequired("Giv nøglen et navn."), Length(max=80)],
    )
    scopes = MultiCheckboxField(
        "Rettigheder",
        choices=[SelectChoice(scope, label) for scope, label in SCOPE_NAMES.items()],
        validators=[InputRequired("Vælg mindst én rettighed.")],
    )
    reach = RadioField(
        "Rækkevidde",
        choices=[
            SelectChoice("centre", "Ét sted"),
            SelectChoice("municipality", "Én kommune (dens borgere, hvor de end behandles)"),
            SelectChoice("national", "Hele landet"),
        ],
        validators=[InputRequired("Vælg nøglens rækkevidde.")],
        validate_choice=False,  # checked by the view, in Danish
    )
    centre = SelectField("Stedet", validate_choice=False)
    municipality = SelectField("Kommunen", validate_choice=False)


class StatisticsForm(FlaskForm):
    """Which numbers to show; read from the address line, checked by service.stats.query."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    period = SelectField(
        "Periode",
        choices=[
            SelectChoice("month", "Måned"),
            SelectChoice("quarter", "Kvartal"),
            SelectChoice("year", "År"),
        ],
    )
    by = SelectField(
        "Rækker",
        choices=[
            SelectChoice("home_municipality", "Bopælskommune"),
            SelectChoice("centre", "Behandlingssted"),
            SelectChoice("flow", "Fra bopælskommune til stedets kommune"),
        ],
    )
    # Named "from" and "to" in the address, as in GET /api/v1/stats.
    first = StringField("Fra måned", name="from", render_kw={"inputmode": "numeric"})
    last = StringField("Til måned", name="to", render_kw={"inputmode": "numeric"})
