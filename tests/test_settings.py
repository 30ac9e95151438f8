"""Settings: the public base URL follows the server's own host and port unless it is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings


@pytest.mark.parametrize(("host", "port", "url"), [
    ("127.0.0.1", 8765, "http://127.0.0.1:8765"),
    ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
    ("::", 8000, "http://localhost:8000"),
    ("::1", 9000, "http://[::1]:9000"),
    ("ijaza.lan", 80, "http://ijaza.lan:80"),
])
def test_public_base_url_follows_host_and_port(host: str, port: int, url: str) -> None:
    assert Settings(host=host, port=port).public_base_url == url


def test_port_alone_moves_the_public_base_url() -> None:
    assert Settings(port=8765).public_base_url == "http://127.0.0.1:8765"


def test_a_set_public_base_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IJAZA_PUBLIC_BASE_URL", "https://ijaza.example.com")
    monkeypatch.setenv("IJAZA_PORT", "8765")
    assert Settings().public_base_url == "https://ijaza.example.com"


def test_the_environment_port_reaches_the_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IJAZA_PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("IJAZA_PORT", "8765")
    assert Settings().public_base_url == "http://127.0.0.1:8765"


def test_a_new_channel_webhook_names_the_servers_port(db_url: str, sessions, admin_key: str) -> None:  # noqa: ANN001
    from app.main import create_app

    settings = Settings(env="test", database_url=db_url, secret_key="test-secret-key-0123456789",
                        port=8765)
    app = create_app(settings, background=False)
    headers = {"Authorization": f"Bearer {admin_key}"}
    try:
        with TestClient(app) as client:
            owner = client.post("/v1/owners", headers=headers, json={
                "id": "porty", "name": "P", "timezone": "Asia/Riyadh", "country": "SA"})
            assert owner.status_code == 201, owner.text
            made = client.post("/v1/owners/porty/channels", headers=headers,
                               json={"platform": "generic",
                                     "settings": {"signing_secret": "s" * 32}})
            assert made.status_code == 201, made.text
    finally:
        app.state.engine.dispose()
    assert made.json()["webhook_url"] == f"http://127.0.0.1:8765/hooks/{made.json()['id']}"
