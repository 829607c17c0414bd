"""The municipality's statistics (its contracts are service.staff.contracts).

A coordinator sees its own municipality and nothing per person; an
administrator sees the national statistics. The numbers are those of
GET /api/v1/stats for the same reach, read by the same function.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, NamedTuple

from flask import Response, abort, request, url_for

from service import db
from service.booking import directory
from service.core.clock import last_month_over, utcnow
from service.identity.accounts import actor_of
from service.models import Municipality
from service.staff import refusals
from service.staff.admin_forms import StatisticsForm
from service.staff.auth import STATISTICS, current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page
from service.stats import query as stats_query
from service.stats.export import to_csv
from service.stats.report import TOTAL, Query, report

METRIC_NAMES = {
    "requested": "Anmodninger (første samtale booket)",
    "intro_held": "Første samtaler holdt",
    "approved": "Godkendt til anonym behandling",
    "referred": "Henvist til almindelig behandling",
    "started": "Startet i en gruppe",
    "completed": "Gennemført",
    "dropped": "Afbrudt",
    "cancelled": "Aflyst før gruppen",
    "never_came": "Udeblev fra første samtale",
    "erased": "Slettet af borgeren",
}
MEASURE_NAMES = {
    "request_to_intro": "Dage fra anmodning til første samtale",
    "approval_to_group": "Dage fra godkendelse til første gruppemøde",
}


def _own_municipality() -> Municipality:
    code = current().municipality_code
    if code is None:
        abort(403)
    return directory.municipality(db.session(), code)


def _read(horizon: str) -> Query:
    """Read the query from the address line, as GET /api/v1/stats reads it."""
    return stats_query.read_query(
        period=request.args.get("period"),
        first=request.args.get("from"),
        last=request.args.get("to"),
        by=request.args.get("by"),
        horizon=horizon,
    )


def _labels(result: dict[str, Any]) -> dict[str, str]:
    """Name each row as staff read it: "101 København", a centre's name, "København → Odense".

    The report names every row (a flow "Aarhus → København"); a row by home
    municipality gets its code in front, as municipalities are known by both.
    """
    labels = {}
    for key, label in result["rows"].items():
        if key == TOTAL:
            labels[key] = "I alt"
        elif result["by"] == "home_municipality":
            labels[key] = f"{key} {label}"
        else:
            labels[key] = label
    return labels


def _statistics_page(form: StatisticsForm, status: int = 200, **context: Any) -> tuple[str, int]:
    home = current().municipality_code
    reach = "hele landet" if home is None else f"{_own_municipality().name} ({home})"
    return page(
        "staff/municipality_statistics.html",
        status=status,
        form=form,
        reach=reach,
        metrics=METRIC_NAMES,
        measures=MEASURE_NAMES,
        **context,
    )


def _refused(refused: stats_query.QueryRefused, horizon: str) -> tuple[str, int]:
    """The page again, with what is wrong next to the field it concerns (422)."""
    form = StatisticsForm(formdata=request.args)
    field = {"from": form.first, "to": form.last, "period": form.period, "by": form.by}
    field[refused.data["field"]].errors = [refusals.wording(refused)]
    return _statistics_page(form, 422, horizon=horizon, result=None)


class _Answer(NamedTuple):
    """A query read from the page's arguments, its horizon and the report for the account."""

    wanted: Query
    horizon: str
    result: dict[str, Any]


def _answer() -> _Answer | tuple[str, int]:
    """Read the query and report it for the account's reach, or render the refusal."""
    now = utcnow()
    horizon = last_month_over(now)
    try:
        wanted = _read(horizon)
    except stats_query.QueryRefused as refused:
        return _refused(refused, horizon)
    result = report(db.session(), actor_of(current()), wanted, horizon=horizon)
    return _Answer(wanted, horizon, result)


@blp.get("/statistics")
@staff_only(*STATISTICS)
def statistics() -> tuple[str, int]:
    """The numbers of GET /api/v1/stats for the account's reach, with the marks explained."""
    answered = _answer()
    if not isinstance(answered, _Answer):
        return answered
    wanted, horizon, result = answered
    form = StatisticsForm(formdata=None, data=asdict(wanted))
    asked: dict[str, Any] = {
        "period": wanted.period,
        "from": wanted.first,
        "to": wanted.last,
        "by": wanted.by,
    }
    download = url_for("staff.statistics_csv", **asked)
    return _statistics_page(
        form, horizon=horizon, result=result, labels=_labels(result), download=download
    )


@blp.get("/statistics.csv")
@staff_only(*STATISTICS)
def statistics_csv() -> tuple[str, int] | Response:
    """The same counts as CSV, exactly as GET /api/v1/stats.csv gives them."""
    answered = _answer()
    if not isinstance(answered, _Answer):
        return answered
    result = answered.result
    name = f"diskret-{result['by']}-{result['from']}-{result['to']}.csv"
    return Response(
        to_csv(result),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
