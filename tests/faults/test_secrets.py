"""No secret in any log line at any level: a full flow (keys, channels, a webhook, the
relay's send through httpx, a refused key, a revoked one) logged at DEBUG, then grepped for
every secret it set."""

from __future__ import annotations

import asyncio
import logging
import time

from tests.api.test_hooks import LEAVE  # the samples' week
from tests.channels.conftest import sample
from tests.fakes import FakePlatform, Reply

BOT_TOKEN = "7777777:AAH-very-secret-telegram-bot-token"
SECRET_TOKEN = "eid_autoreply-TEST_token_123"  # the sample's X-Telegram-Bot-Api-Secret-Token
SLACK_SIGNING = "slack-signing-secret-in-logs"
SLACK_TOKEN = "xoxb-slack-token-in-logs"
METRICS_KEY = "metrics-key-in-logs-0123456789"


def test_a_full_run_at_debug_logs_no_secret(settings, sessions, capfd, caplog) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from app.db import session_scope
    from app.keys.service import create_key
    from app.main import create_app
    from app.outbox.relay import Relay
    from app.targets import outbound_client

    caplog.set_level(logging.DEBUG)
    with session_scope(sessions) as session:
        admin_key = create_key(session, admin=True, owner_id=None).key
    loud = settings.model_copy(update={"env": "development", "log_level": "DEBUG",
                                       "metrics_key": METRICS_KEY})
    app = create_app(loud, background=False)
    admin = {"Authorization": f"Bearer {admin_key}"}
    with FakePlatform(Reply(body={"ok": True, "result": {}})) as fake, TestClient(app) as c:
        assert c.post("/v1/owners", headers=admin, json={
            "id": "logged", "name": "L", "timezone": "Asia/Riyadh", "country": "SA"}).status_code == 201
        assert c.post("/v1/owners/logged/windows", headers=admin, json=LEAVE).status_code == 201
        owner_key = c.post("/v1/keys", headers=admin, json={"owner_id": "logged"}).json()
        tg = c.post("/v1/owners/logged/channels", headers=admin, json={
            "platform": "telegram", "mode": "send", "settings": {
                "secret_token": SECRET_TOKEN, "bot_token": BOT_TOKEN,
                "api_base_url": fake.url}}).json()
        c.post("/v1/owners/logged/channels", headers=admin, json={
            "platform": "slack", "settings": {"signing_secret": SLACK_SIGNING,
                                              "bot_token": SLACK_TOKEN}})
        update = sample("telegram_update_message")
        hook = c.post(f"/hooks/{tg['id']}", content=update.body, headers=update.headers)
        assert hook.status_code == 200, hook.text
        c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
        c.get("/v1/owners/logged", headers={"Authorization": "Bearer ijz_wrong-key-in-logs"})
        c.delete(f"/v1/keys/{owner_key['id']}", headers=admin)
        c.get("/v1/owners/logged", headers={"Authorization": f"Bearer {owner_key['key']}"})

        async def send() -> int:
            async with outbound_client(allow_private=True, timeout=2) as http:
                return await Relay(app.state.sessions, http, loud).run_once()

        assert asyncio.run(send()) == 1
        deadline = time.monotonic() + 5
        while not fake.requests:
            assert time.monotonic() < deadline
        assert BOT_TOKEN in fake.requests[0].path  # the token really went on the wire
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "sendMessage" in logs or "HTTP Request" in logs  # httpx did log the send
    for secret in (admin_key, owner_key["key"], BOT_TOKEN, BOT_TOKEN.split(":")[1], SECRET_TOKEN,
                   SLACK_SIGNING, SLACK_TOKEN, METRICS_KEY, "ijz_wrong-key-in-logs"):
        assert secret not in logs, secret
    app.state.engine.dispose()


def test_a_key_revoked_by_another_replica_is_refused_within_a_second(client, admin, owner,  # noqa: ANN001
                                                                     owner_key, sessions) -> None:
    from sqlalchemy import update

    import app.keys.service as keys
    from app.db import session_scope
    from app.keys.models import ApiKey

    mine = {"Authorization": f"Bearer {owner_key}"}
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 200  # cached now
    with session_scope(sessions) as session:  # another replica revokes it: this one's cache stays
        session.execute(update(ApiKey).where(ApiKey.digest == keys.digest(owner_key))
                        .values(revoked_at=keys.clock.now()))
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 200  # still cached
    # one second later: the cached entry has aged out
    entry = keys._RECENT[keys.digest(owner_key)]
    keys._RECENT[keys.digest(owner_key)] = (entry[0] - keys.CACHE_SECONDS, entry[1])
    assert keys.CACHE_SECONDS <= 1.0
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 401
