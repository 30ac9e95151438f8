"""SSRF through owner keys: outbound targets must be public, when saved and when connecting."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.settings import Settings
from app.targets import PrivateTarget, outbound_client, refuse_private_target, vetted_address
from tests.fakes import FakePlatform, Reply
from tests.faults.conftest import problem

PRIVATE = ["127.0.0.1", "127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "017700000001",
           "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
           "0.0.0.0", "224.0.0.1", "255.255.255.255", "[::1]", "[::]", "[fe80::1]",
           "[fd00::1]", "[::ffff:127.0.0.1]", "[64:ff9b::a00:1]", "[2002:7f00:1::1]",
           "localhost", "api.localhost", "metadata.google.internal", "intranet"]


@pytest.mark.parametrize("host", PRIVATE)
def test_private_spellings_are_refused(host: str) -> None:
    with pytest.raises(PrivateTarget):
        refuse_private_target(f"http://{host}:8080/x")
    with pytest.raises(PrivateTarget):
        refuse_private_target(host.strip("[]"))  # as smtp_host


@pytest.mark.parametrize("target", ["https://api.telegram.org", "https://8.8.8.8/x",
                                    "smtp.example.com", "https://[2606:4700::1111]/"])
def test_public_targets_pass(target: str) -> None:
    refuse_private_target(target)


def test_the_default_refuses_private_targets() -> None:
    assert Settings().allow_private_targets is False


CASES = [
    ("generic", {"signing_secret": "s", "callback_url": "http://169.254.169.254/latest"},
     "callback_url"),
    ("slack", {"signing_secret": "s", "bot_token": "xoxb-1", "api_base_url": "http://127.0.0.1:9"},
     "api_base_url"),
    ("telegram", {"secret_token": "t", "bot_token": "1:x", "api_base_url": "http://2130706433/"},
     "api_base_url"),
    ("whatsapp", {"app_secret": "a", "verify_token": "v", "access_token": "x",
                  "phone_number_id": "1", "api_base_url": "http://[::1]:8080"}, "api_base_url"),
    ("email", {"provider": "mime", "token": "t", "smtp_host": "10.0.0.1",
               "from_address": "me@example.com"}, "smtp_host"),
]


@pytest.mark.parametrize(("platform", "values", "field"), CASES)
def test_saving_a_private_target_is_422_and_stores_nothing(strict_client, admin, owner, platform,
                                                           values, field) -> None:
    url = f"/v1/owners/{owner['id']}/channels"
    body = problem(strict_client.post(url, json={"platform": platform, "mode": "send",
                                                 "settings": values}, headers=admin))
    assert body["status"] == 422 and body["errors"][0]["field"] == f"settings.{field}"
    assert strict_client.get(url, headers=admin).json()["items"] == []


def test_patching_to_a_private_target_is_422_and_changes_nothing(strict_client, admin, owner) -> None:
    url = f"/v1/owners/{owner['id']}/channels"
    created = strict_client.post(url, json={"platform": "generic", "mode": "send", "settings": {
        "signing_secret": "s", "callback_url": "https://crm.example.com/hook"}}, headers=admin)
    assert created.status_code == 201, created.text
    row = f"{url}/{created.json()['id']}"
    assert problem(strict_client.patch(row, json={"settings": {"callback_url": "http://0177.1/"}},
                                       headers=admin))["status"] == 422
    assert strict_client.get(row, headers=admin).json()["settings"]["callback_url"] == \
        "https://crm.example.com/hook"


def test_allow_private_targets_lifts_the_check(client, admin, owner) -> None:
    response = client.post(f"/v1/owners/{owner['id']}/channels", json={
        "platform": "generic", "mode": "send",
        "settings": {"signing_secret": "s", "callback_url": "http://127.0.0.1:9/x"}}, headers=admin)
    assert response.status_code == 201, response.text


def _resolving_to(address: str):  # noqa: ANN202
    async def resolver(_host: str, _port: int) -> list[str]:
        return [address]
    return resolver


def test_a_name_resolving_to_loopback_is_refused_when_connecting() -> None:
    with FakePlatform() as fake:
        port = fake.url.rsplit(":", 1)[1]

        async def go() -> None:
            async with outbound_client(allow_private=False, timeout=2,
                                       resolver=_resolving_to("127.0.0.1")) as http:
                with pytest.raises(httpx.ConnectError, match="non-public"):
                    await http.post(f"http://hooks.example.com:{port}/x", json={})

        asyncio.run(go())
        assert fake.requests == []  # nothing reached the private address


def test_a_name_mixing_public_and_private_addresses_is_refused() -> None:
    async def mixed(_host: str, _port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]

    with pytest.raises(PrivateTarget):
        asyncio.run(vetted_address("mixed.example.com", 443, resolver=mixed))


def test_the_guard_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A public answer lets the request through, to that address (here: the fake platform
    # playing a public host, through a resolver that vouches for it).
    async def vetted(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    import app.targets as targets

    monkeypatch.setattr(targets, "is_public", lambda ip: True)
    with FakePlatform() as fake:
        port = fake.url.rsplit(":", 1)[1]

        async def go() -> int:
            async with outbound_client(allow_private=False, timeout=2, resolver=vetted) as http:
                return (await http.post(f"http://hooks.example.com:{port}/x", json={})).status_code

        assert asyncio.run(go()) == 200
        assert fake.requests[0].headers["host"] == f"hooks.example.com:{port}"


def test_redirects_are_not_followed() -> None:
    with FakePlatform() as inside, FakePlatform(Reply(status=302, headers={
            "location": "http://169.254.169.254/latest/meta-data"})) as outside:
        inside_url = inside.url
        outside.default = Reply(status=307, headers={"location": inside_url + "/secret"})

        async def go() -> int:
            async with outbound_client(allow_private=True, timeout=2) as http:
                return (await http.post(outside.url + "/send", json={})).status_code

        assert asyncio.run(go()) == 307
        assert inside.requests == []


def test_smtp_to_a_private_host_is_refused_at_send_time() -> None:
    from datetime import UTC, datetime

    from app.channels.registry import build_channel

    channel = build_channel("email", {"provider": "mime", "token": "t", "smtp_host": "127.0.0.1",
                                      "smtp_port": 9, "from_address": "me@example.com",
                                      "mode": "send"}, now=lambda: datetime.now(UTC))

    async def go():  # noqa: ANN202
        async with httpx.AsyncClient() as http:
            return await channel.send(http, {"to": "a@example.org", "subject": "x"}, "hi",
                                      now=datetime.now(UTC))

    result = asyncio.run(go())
    assert not result.ok and result.permanent and "non-public" in result.detail
