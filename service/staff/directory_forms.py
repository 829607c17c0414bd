"""Forms of the contract and centre pages: a new contract, ending one, closing a centre.

Choices are filled in by the view; the rules (service.booking.contracts and
.centres) decide what may be saved, so a value a form lets through is still
checked there. ``confirm`` is sent only by the warning page that shows what
a change does to § 101 a, stk. 2.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from service.staff.schedule_forms import DayField


class ContractForm(FlaskForm):
    """A new contract of the municipality with a centre, from a day on."""

    centre = SelectField("Sted", validators=[InputRequired("Vælg stedet.")], validate_choice=False)
    valid_from = DayField(
        "Gælder fra (første dag)", validators=[InputRequired("Skriv den første dag.")]
    )


class EndContractForm(FlaskForm):
    """End one of the municipality's running contracts from a day on."""

    contract = SelectField(
        "Kontrakt", validators=[InputRequired("Vælg kontrakten.")], validate_choice=False
    )
    ends_on = DayField(
        "Ophører fra (første dag uden kontrakt)",
        validators=[InputRequired("Skriv den første dag uden kontrakt.")],
    )
    confirm = HiddenField()


class CloseCentreForm(FlaskForm):
    """Close a centre from a day on: its contracts end that day."""

    closed_from = DayField(
        "Lukker fra (første dag uden nye forløb)",
        validators=[InputRequired("Skriv den første lukkedag.")],
    )
    confirm = HiddenField()
