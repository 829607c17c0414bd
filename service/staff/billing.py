"""The billing pages ("Afregning"): what a home municipality owes a centre for a month.

A centre admin sees its centre's courses by reference, per home
municipality; a coordinator sees counts per centre for its municipality's
citizens, suppressed as statistics are; an administrator chooses a
municipality and sees its counts. Centre staff do not see billing: it is an
administrative task, as managing the centre's accounts is. What each number
means is ``service.stats.billing``'s; the page and the CSV show the same.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Response, abort, request
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import directory
from service.core.clock import utcnow
from service.core.errors import NotFound
from service.identity.accounts import actor_of
from service.models import Role, StaffAccount
from service.staff.auth import BILLING, current, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page
from service.stats import billing
from service.stats.billing import HomeBill, MunicipalityBill
from service.stats.export import rows_to_csv

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
MEASURE_NAMES = {
    "started": "Startet (første samtale holdt)",
    "running": "I gang (i en gruppe, der mødtes)",
    "completed": "Afsluttet som gennemført",
    "meetings": "Gruppemøder deltaget",
}
NOT_A_MONTH = "Vælg en af de måneder, listen viser."


def month_name(month: str) -> str:
    """Return a month as Danes write it: "november 2026"."""
    return f"{MONTHS[int(month[5:]) - 1]} {month[:4]}"


class BillingForm(FlaskForm):
    """Which month to bill, and for an administrator which municipality; read from the address."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    month = SelectField("Måned", validate_choice=False)
    municipality = SelectField("Kommune", validate_choice=False)


class _Asked(NamedTuple):
    """What the page was asked for: the form, the month and, for counts, the municipality."""

    form: BillingForm
    month: str
    home: str | None


def _ask(account: StaffAccount) -> _Asked | tuple[str, int]:
    """Read the month (and municipality) from the address line, or render the refusal (422)."""
    months = billing.months_to_bill(utcnow())
    form = BillingForm(formdata=request.args)
    form.month.choices = [SelectChoice(month, month_name(month)) for month in months]
    home: str | None = None
    if account.role is Role.ADMIN:
        found = directory.municipalities(db.session())
        form.municipality.choices = [
            SelectChoice(each.code, f"{each.name} ({each.code})") for each in found
        ]
        home = request.args.get("municipality") or found[0].code
        form.municipality.data = home
    elif account.centre_id is None:
        home = request.args.get("municipality") or account.municipality_code
    month = request.args.get("month") or months[0]
    form.month.data = month
    if month not in months:
        form.month.errors = [NOT_A_MONTH]
        return page("staff/billing.html", status=422, form=form, month=None, bills=None, bill=None)
    return _Asked(form, month, home)


def _bills(asked: _Asked) -> list[HomeBill] | MunicipalityBill:
    """Return the centre's lines or the municipality's counts; out of reach is a 404."""
    actor = actor_of(current())
    try:
        if asked.home is None:
            return billing.centre_lines(db.session(), actor, asked.month)
        return billing.municipality_counts(db.session(), actor, asked.month, home=asked.home)
    except NotFound:
        abort(404)


def _download_args(asked: _Asked) -> dict[str, str]:
    """Return the address arguments of the CSV of what the page shows."""
    if asked.home is None:
        return {"month": asked.month}
    return {"month": asked.month, "municipality": asked.home}


@blp.get("/billing")
@staff_only(*BILLING)
def billing_page() -> tuple[str, int]:
    """A month's bill: the centre's courses by reference, or a municipality's counts."""
    asked = _ask(current())
    if not isinstance(asked, _Asked):
        return asked
    found = _bills(asked)
    return page(
        "staff/billing.html",
        form=asked.form,
        month=asked.month,
        month_name=month_name(asked.month),
        bills=found if isinstance(found, list) else None,
        bill=found if isinstance(found, MunicipalityBill) else None,
        measures=MEASURE_NAMES,
        download_args=_download_args(asked),
    )


def _centre_rows(month: str, centre: str, bills: list[HomeBill]) -> list[list[object]]:
    head: list[object] = ["month", "centre", "home_municipality", "home_municipality_name"]
    rows = [[*head, "reference", *billing.MEASURES]]
    for bill in bills:
        for line in bill.lines:
            flags = [int(line.started), int(line.running), int(line.completed), line.meetings]
            rows.append([month, centre, bill.code, bill.name, line.reference, *flags])
    return rows


def _municipality_rows(month: str, bill: MunicipalityBill) -> list[list[object]]:
    head: list[object] = ["month", "home_municipality", "home_municipality_name"]
    rows = [[*head, "centre_id", "centre", *billing.MEASURES]]
    for row in bill.centres:
        cells = [row.cells[measure] for measure in billing.MEASURES]
        rows.append([month, bill.code, bill.name, row.centre_id, row.name, *cells])
    total = [bill.total[measure] for measure in billing.MEASURES]
    rows.append([month, bill.code, bill.name, "*", "I alt", *total])
    return rows


@blp.get("/billing.csv")
@staff_only(*BILLING)
def billing_csv() -> tuple[str, int] | Response:
    """The same bill as CSV, one line per course (a centre) or per centre (a municipality)."""
    account = current()
    asked = _ask(account)
    if not isinstance(asked, _Asked):
        return asked
    found = _bills(asked)
    if isinstance(found, list):
        centre = directory.centre(db.session(), own_centre()).name
        rows, name = _centre_rows(asked.month, centre, found), f"afregning-{asked.month}.csv"
    else:
        rows = _municipality_rows(asked.month, found)
        name = f"afregning-{asked.month}-{found.code}.csv"
    return Response(
        rows_to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
