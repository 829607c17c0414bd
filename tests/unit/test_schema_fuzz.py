"""Every request schema, fed anything JSON can hold: a result or a ValidationError, nothing else."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

import service.api

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _schemas() -> list[type[Schema]]:
    for module in pkgutil.iter_modules(service.api.__path__, "service.api."):
        importlib.import_module(module.name)
    found: list[type[Schema]] = []
    pending = list(Schema.__subclasses__())
    while pending:
        schema = pending.pop()
        pending += schema.__subclasses__()
        if schema.__module__.startswith("service.") and not schema.__name__.startswith("_"):
            found.append(schema)
    return sorted(found, key=lambda schema: schema.__name__)


SCHEMAS = _schemas()


def test_the_fuzzing_reaches_every_schema() -> None:
    """The request schemas are all found (a moved module would otherwise be skipped quietly)."""
    names = {schema.__name__ for schema in SCHEMAS}

    assert {
        "CourseCreateSchema",
        "BookingCreateSchema",
        "VerifySchema",
        "StatsQuerySchema",
    } <= names


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
@settings(max_examples=150, deadline=None)
@given(value=JSON, fields=st.dictionaries(st.text(max_size=20), JSON, max_size=5))
def test_a_schema_loads_or_says_what_is_wrong(
    schema: type[Schema], value: object, fields: dict[str, object]
) -> None:
    """Arbitrary bodies, and arbitrary values under the schema's own field names."""
    instance = schema()
    known = dict.fromkeys(instance.load_fields, value)
    refusals = []
    for body in (value, fields, known, {**known, **fields}):
        try:
            instance.load(body)  # type: ignore[arg-type]
        except ValidationError as error:
            refusals.append(error.messages)
    # Whatever was refused says which field and why.
    assert all(refusals)
