"""Contracts: a coordinator's own municipality, an administrator's every one (§ 101 a, stk. 2).

A coordinator opens its municipality's page; an administrator first sees
how every municipality stands and chooses one. On a municipality's page a
contract is made or ended; an end that leaves the municipality short of
§ 101 a, stk. 2 answers with a warning page (409, nothing saved) whose form
sends the same end again with ``confirm``. The rules
(service.booking.contracts) check reach: another municipality answers 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import contracts as rules
from service.booking import directory
from service.core import errors
from service.core.clock import local_today, utcnow
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import Contract, Role
from service.staff import refusals
from service.staff.admin_common import (
    municipality_choices,
    parse_uuid,
    refusal_status,
    show_refusal,
)
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.directory_forms import ContractForm, EndContractForm
from service.staff.pages import page

MANAGE = (Role.COORDINATOR, Role.ADMIN)
Answer = tuple[str, int]


def dansk(day: date) -> str:
    """Return a day as Danes write it: 01.02.2027."""
    return f"{day:%d.%m.%Y}"


def _first_shortfall(code: str, found: list[Contract], today: date) -> date | None:
    """Return the first coming day on which the contracts known today fall short, if any."""
    changes = {c.valid_from for c in found if c.valid_from > today}
    changes |= {c.valid_to + timedelta(days=1) for c in found if c.valid_to and c.valid_to >= today}
    session = db.session()
    for day in sorted(changes):
        if directory.shortfall_of(session, code, on=day) is not None:
            return day
    return None


def _running(found: list[Contract], today: date) -> list[SelectChoice]:
    choices = [SelectChoice("", "Vælg kontrakten")]
    for each in found:
        if each.valid_to is None or each.valid_to >= today:
            label = f"{each.centre.name} (fra {dansk(each.valid_from)})"
            choices.append(SelectChoice(str(each.id), label))
    return choices


def _centres(code: str) -> list[SelectChoice]:
    choices = [SelectChoice("", "Vælg stedet")]
    for each in directory.centres(db.session()):
        if each.closed_from is None or each.closed_from > local_today(utcnow()):
            where = "i kommunen" if each.municipality_code == code else each.municipality.name
            choices.append(SelectChoice(str(each.id), f"{each.name} ({where})"))
    return choices


def _municipality_page(
    code: str,
    status: int = 200,
    *,
    add: ContractForm | None = None,
    end: EndContractForm | None = None,
    problem: str | None = None,
) -> Answer:
    session, actor, today = db.session(), actor_of(current()), local_today(utcnow())
    found = list(rules.listing(session, actor, code))
    add = add or ContractForm(formdata=None, data={"valid_from": today})
    end = end or EndContractForm(formdata=None, data={"ends_on": today})
    add.centre.choices = _centres(code)
    end.contract.choices = _running(found, today)
    shortfall = directory.shortfall_of(session, code, on=today)
    return page(
        "staff/contracts.html",
        status=status,
        home=directory.municipality(session, code),
        contracts=found,
        today=today,
        shortfall=shortfall,
        coming=None if shortfall else _first_shortfall(code, found, today),
        add=add,
        end=end,
        problem=problem,
        dansk=dansk,
    )


@blp.get("/contracts")
@staff_only(*MANAGE)
def contracts() -> Answer | Response:
    """A coordinator's own municipality; for an administrator, every municipality's standing."""
    own = current().municipality_code
    if own is not None:
        return _municipality_page(own)
    chosen = request.args.get("municipality")
    if chosen:
        return redirect(url_for("staff.municipality_contracts", code=chosen), code=303)
    every = rules.standings(db.session(), actor_of(current()), on=local_today(utcnow()))
    return page(
        "staff/contracts_overview.html",
        short=[each for each in every if not each.complies],
        complying=sum(1 for each in every if each.complies),
        total=len(every),
        choices=municipality_choices("Vælg kommunen"),
    )


@blp.get("/contracts/<code>")
@staff_only(*MANAGE)
def municipality_contracts(code: str) -> Answer:
    """A municipality's contracts, ended ones included, its standing, and forms to change them."""
    return _municipality_page(code)


def _refused(code: str, error: errors.DomainError, **forms: Any) -> Answer:
    form = forms.get("add") or forms["end"]
    fields = {name: getattr(form, name) for name in refusals.CONTRACT_FIELDS if hasattr(form, name)}
    fields["centre_id"] = getattr(form, "centre", None) or form.contract
    problem = show_refusal(error, refusals.CONTRACT_FIELDS, fields)
    return _municipality_page(code, refusal_status(error), problem=problem, **forms)


@blp.post("/contracts/<code>")
@staff_only(*MANAGE)
@transactional
def add_contract(code: str) -> Answer | Response:
    """Contract a centre for the municipality from a day; it can be booked from that day."""
    rules.require_municipality(actor_of(current()), code)
    form = ContractForm()
    if not form.validate():
        return _municipality_page(code, 422, add=form)
    centre_id = parse_uuid(form.centre.data)
    if centre_id is None or form.valid_from.data is None:
        form.centre.errors = ["Vælg stedet."]
        return _municipality_page(code, 422, add=form)
    try:
        made = rules.add(
            db.session(),
            actor_of(current()),
            municipality_code=code,
            centre_id=centre_id,
            valid_from=form.valid_from.data,
            now=utcnow(),
        )
    except errors.DomainError as error:
        return _refused(code, error, add=form)
    flash(f"Kontrakten med {made.centre.name} gælder fra {dansk(made.valid_from)}.")
    return redirect(url_for("staff.municipality_contracts", code=code), code=303)


@blp.post("/contracts/<code>/end")
@staff_only(*MANAGE)
@transactional
def end_contract(code: str) -> Answer | Response:
    """End a contract from a day; warn first when that breaks § 101 a, stk. 2."""
    actor = actor_of(current())
    rules.require_municipality(actor, code)
    form = EndContractForm()
    if not form.validate():
        return _municipality_page(code, 422, end=form)
    contract_id = parse_uuid(form.contract.data)
    if contract_id is None or form.ends_on.data is None:
        abort(404)
    found = rules.contract(db.session(), actor, contract_id)
    if found.municipality_code != code:
        abort(404)
    try:
        rules.end(
            db.session(),
            actor,
            found.id,
            ends_on=form.ends_on.data,
            confirmed=form.confirm.data == "yes",
            now=utcnow(),
        )
    except rules.BreaksCompliance as warning:
        return page(
            "staff/compliance_confirm.html",
            status=409,
            warning=warning.data,
            what=f"Kontrakten med {found.centre.name} ophører fra {dansk(form.ends_on.data)}.",
            action=url_for("staff.end_contract", code=code),
            form=form,
            fields={"contract": str(found.id), "ends_on": form.ends_on.data.isoformat()},
            back=url_for("staff.municipality_contracts", code=code),
            dansk=dansk,
            day=date.fromisoformat(warning.data["on"]),
        )
    except errors.DomainError as error:
        return _refused(code, error, end=form)
    flash(f"Kontrakten med {found.centre.name} ophører fra {dansk(form.ends_on.data)}.")
    return redirect(url_for("staff.municipality_contracts", code=code), code=303)
