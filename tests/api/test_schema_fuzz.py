"""Property tests of the whole API against its own OpenAPI document (schemathesis):
no 5xx and no response that violates the schema, with an admin key and a seeded owner.
A small budget here; CI runs it on every submission."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import OWNER_BODY


@pytest.fixture
def api_schema(client, admin):  # noqa: ANN001, ANN201
    assert client.post("/v1/owners", json=OWNER_BODY, headers=admin).status_code == 201
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    schema.__ijaza_auth = admin  # type: ignore[attr-defined]
    return schema


lazy = schemathesis.pytest.from_fixture("api_schema")


@lazy.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_matches_its_schema(case, admin) -> None:  # noqa: ANN001
    if "owner_id" in (case.path_parameters or {}):
        case.path_parameters["owner_id"] = OWNER_BODY["id"]
    response = case.call(headers=admin)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
