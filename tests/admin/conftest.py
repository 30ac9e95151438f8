"""The console's fixtures: a browser-like client (https, as the test settings' public base
URL says, so the Secure cookie travels) and signing in through the form."""

from __future__ import annotations

import re

import pytest

ORIGIN = "https://ijaza.example.com"


@pytest.fixture
def browser_client(app):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False,
                    follow_redirects=False) as c:
        yield c


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client, key: str):  # noqa: ANN001, ANN201
    page = client.get("/admin")
    return client.post("/admin/sign-in", data={"csrf": form_token(page.text), "key": key},
                       headers={"Origin": ORIGIN})


@pytest.fixture
def signed_in(browser_client, owner, owner_key):  # noqa: ANN001, ANN201
    response = sign_in(browser_client, owner_key)
    assert response.status_code == 303, response.text
    return browser_client
