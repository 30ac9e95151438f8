"""Metrics, and secrets never reaching a log line."""

from __future__ import annotations


def test_metrics_count_decisions(client, admin, owner) -> None:
    client.post(f"/v1/owners/{owner['id']}/evaluate", headers=admin,
                json={"contact": {"address": "a@example.org"}, "text": "hi"})
    text = client.get("/metrics", headers=admin).text
    assert "ijaza_decisions_total" in text and "ijaza_webhooks_total" in text


def test_secrets_and_keys_never_appear_in_logs(settings, sessions, capfd) -> None:
    from fastapi.testclient import TestClient

    from app.db import session_scope
    from app.keys.service import create_key
    from app.main import create_app

    with session_scope(sessions) as session:
        key = create_key(session, admin=True, owner_id=None).key
    loud = settings.model_copy(update={"env": "development", "log_level": "DEBUG"})
    app = create_app(loud, background=False)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as c:
        c.post("/v1/owners", headers=headers, json={
            "id": "logged", "name": "L", "timezone": "Asia/Riyadh", "country": "SA"})
        c.post("/v1/owners/logged/channels", headers=headers, json={
            "platform": "slack", "settings": {"signing_secret": "very-secret-signing",
                                              "bot_token": "xoxb-very-secret-token"}})
        c.get("/v1/owners/logged", headers={"Authorization": "Bearer ijz_wrong-key-in-logs"})
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    assert '"path": "/v1/owners"' in logs or '"path":"/v1/owners"' in logs  # logging is on
    for secret in (key, "very-secret-signing", "xoxb-very-secret-token", "ijz_wrong-key-in-logs"):
        assert secret not in logs
    app.state.engine.dispose()
