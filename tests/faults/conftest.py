"""Fixtures for the fault tests: an app with the production default for outbound targets
(private addresses refused), next to the suite's usual one (which allows them, since the
fake platforms listen on 127.0.0.1)."""

from __future__ import annotations

import pytest


@pytest.fixture
def strict_settings(settings):  # noqa: ANN001, ANN201
    return settings.model_copy(update={"allow_private_targets": False})


@pytest.fixture
def strict_client(strict_settings, sessions):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    from app.main import create_app

    application = create_app(strict_settings, background=False)
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c
    application.state.engine.dispose()


def problem(response) -> dict:  # noqa: ANN001
    """The problem+json body of a 4xx (never a 500)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["status"] == response.status_code
    return body
