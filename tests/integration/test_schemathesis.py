"""Property-based tests of every route against the served OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import sessionmaker

import crypto
from service import create_app
from service.db import engine_of
from service.models import Centre
from tests.conftest import TEST_TOKEN_KEY, app_config
from tests.support import databases
from tests.support.calls import start_course
from tests.support.world import add_api_key, build_world

EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def credentials(tmp_path: Path) -> Iterator[tuple[Flask, str, str]]:
    """Yield an app on a fresh SQLite database, a citizen's token and a key with every scope."""
    url = databases.sqlite_url(tmp_path)
    databases.migrated_engine(url).dispose()
    app = create_app(app_config(url))
    keyring = crypto.Keyring.parse(TEST_TOKEN_KEY)
    with sessionmaker(bind=engine_of(app))() as session:
        world = build_world(session, keyring, now=datetime.now(UTC))
        key = add_api_key(
            session,
            keyring,
            scopes="centre:manage tokens:verify stats:read",
            centre=session.get(Centre, world.centre_a),
        )
        session.commit()
    token, _ = start_course(app.test_client(), world)
    yield app, token, key
    engine_of(app).dispose()


def _contract_test(
    operation: Any, mode: GenerationMode, credential: str, calls: list[str]
) -> Callable[[], None]:
    """Return a hypothesis test of one operation, sending one credential and noting each call."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def keeps_contract(case: schemathesis.Case[Any]) -> None:
        calls.append(f"{mode.value} {operation.label}")
        case.call_and_validate(headers={"Authorization": f"Bearer {credential}"}, checks=CHECKS)

    return keeps_contract


def test_every_route_keeps_its_contract(credentials: tuple[Flask, str, str]) -> None:
    """No 5xx, every answer matches the document, and nothing outside the schema is accepted."""
    app, token, key = credentials
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    calls: list[str] = []

    # Erasing the course ends the token, so that goes last.
    for operation in sorted(operations, key=lambda op: op.label == "DELETE /api/v1/me"):
        credential = token if operation.path.startswith("/api/v1/me") else key
        for mode in modes if _has_inputs(operation) else modes[:1]:
            try:
                _contract_test(operation, mode, credential, calls)()
            except Exception as error:
                error.add_note(f"{mode.value} {operation.label}")
                raise

    assert {f"positive {op.label}" for op in operations} <= set(calls)
    assert {f"negative {op.label}" for op in operations if _has_inputs(op)} <= set(calls)


def _has_inputs(operation: Any) -> bool:
    """Tell whether an operation takes anything that could be sent wrong."""
    return bool(operation.query or operation.path_parameters or operation.headers or operation.body)
