"""Signing in, out, and what a session may do: cookies, CSRF, origins, tenants, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.admin.models import ConsoleSession
from app.db import session_scope
from tests.admin.conftest import ORIGIN, form_token, sign_in
from tests.conftest import OWNER_BODY


def test_sign_in_sets_a_strict_http_only_secure_session_cookie_not_the_key(
        browser_client, owner, owner_key, sessions) -> None:  # noqa: ANN001
    response = sign_in(browser_client, owner_key)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("ijaza_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    assert "Max-Age=43200" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert owner_key not in cookie and token != owner_key
    with session_scope(sessions) as session:
        stored = session.scalars(select(ConsoleSession)).all()
    assert len(stored) == 1 and token not in stored[0].token_digest
    assert browser_client.get("/admin").headers["location"] == f"/admin/owners/{owner['id']}"


def test_no_secure_flag_when_the_public_url_is_http(settings, sessions, owner_key) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(settings.model_copy(update={"public_base_url": "http://127.0.0.1:8000"}),
                     background=False)
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as c:
        page = c.get("/admin")
        response = c.post("/admin/sign-in", data={"csrf": form_token(page.text), "key": owner_key},
                          headers={"Origin": "http://127.0.0.1:8000"})
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303 and "Secure" not in cookie and "HttpOnly" in cookie
    app.state.engine.dispose()


def test_a_wrong_key_is_refused_and_repeated_failures_are_slowed(browser_client, owner) -> None:  # noqa: ANN001
    codes = [sign_in(browser_client, "ijz_" + "x" * 32).status_code for _ in range(5)]
    assert codes == [401] * 5
    slowed = sign_in(browser_client, "ijz_" + "y" * 32)
    assert slowed.status_code == 429 and 0 < int(slowed.headers["retry-after"]) <= 301


def test_the_limiter_counts_per_client_and_forgets_after_its_period(sessions) -> None:  # noqa: ANN001
    from app.admin.models import ConsoleSignInFailure
    from app.admin.sessions import SignInLimiter

    limiter = SignInLimiter(attempts=2, period=timedelta(minutes=1))
    t0 = datetime(2027, 3, 10, 12, tzinfo=UTC)
    with session_scope(sessions) as session:
        limiter.failed(session, "a", t0)
        limiter.failed(session, "a", t0 + timedelta(seconds=10))
    with session_scope(sessions) as session:
        assert limiter.retry_after(session, "a", t0 + timedelta(seconds=20)) == 41
        assert limiter.retry_after(session, "b", t0 + timedelta(seconds=20)) == 0
        assert limiter.retry_after(session, "a", t0 + timedelta(seconds=61)) == 0
        limiter.failed(session, "c", t0)
        limiter.succeeded(session, "c")
        assert limiter.retry_after(session, "c", t0) == 0
        # A failure after the period forgets everyone's older ones: one period is kept.
        limiter.failed(session, "203.0.113.7", t0 + timedelta(minutes=5))
    with session_scope(sessions) as session:
        kept = session.scalars(select(ConsoleSignInFailure)).all()
    assert len(kept) == 1 and "203.0.113.7" not in kept[0].client  # its digest, not it
    assert len(kept[0].client) == 64


def test_every_replica_counts_the_same_failed_sign_ins(settings, sessions, owner,
                                                       owner_key) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from app.main import create_app

    # Two applications on one database, as two replicas behind a load balancer.
    replicas = [create_app(settings, background=False) for _ in range(2)]
    with TestClient(replicas[0], base_url=ORIGIN, follow_redirects=False) as one, \
            TestClient(replicas[1], base_url=ORIGIN, follow_redirects=False) as other:
        codes = [sign_in(c, "ijz_" + "x" * 32).status_code
                 for c in (one, other, one, other, one)]
        assert codes == [401] * 5
        slowed = sign_in(other, owner_key)  # even the right key waits
        assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0
        assert sign_in(one, owner_key).status_code == 429
    for replica in replicas:
        replica.state.engine.dispose()


def test_sign_in_without_its_token_or_from_elsewhere_is_refused(browser_client, owner,
                                                                owner_key) -> None:  # noqa: ANN001
    page = browser_client.get("/admin")
    token = form_token(page.text)
    bare = browser_client.post("/admin/sign-in", data={"key": owner_key},
                               headers={"Origin": ORIGIN})
    foreign = browser_client.post("/admin/sign-in", data={"csrf": token, "key": owner_key},
                                  headers={"Origin": "https://evil.example"})
    assert bare.status_code == foreign.status_code == 403
    assert "ijaza_console" not in bare.headers.get("set-cookie", "")
    assert "ijaza_console" not in foreign.headers.get("set-cookie", "")


def _hours_form(html: str, monday: str) -> dict[str, str]:
    return {"csrf": form_token(html), "day_mon": monday, "day_sun": "09:00-17:00",
            "response_time": "PT4H", "timezone": "Asia/Riyadh", "country": "SA",
            "language_1": "ar", "tone": "formal"}


def test_posts_without_csrf_or_from_another_origin_change_nothing(signed_in, client, admin,
                                                                 owner) -> None:  # noqa: ANN001
    page = signed_in.get(f"/admin/owners/{owner['id']}/hours")
    form = _hours_form(page.text, "10:00-11:00")
    no_token = signed_in.post(page.url.path, data={**form, "csrf": ""}, headers={"Origin": ORIGIN})
    wrong_token = signed_in.post(page.url.path, data={**form, "csrf": "0" * 64},
                                 headers={"Origin": ORIGIN})
    foreign = signed_in.post(page.url.path, data=form, headers={"Origin": "https://evil.example"})
    no_origin = signed_in.post(page.url.path, data=form)
    assert {r.status_code for r in (no_token, wrong_token, foreign, no_origin)} == {403}
    stored = client.get(f"/v1/owners/{owner['id']}", headers=admin).json()
    assert stored["working_hours"] == OWNER_BODY["working_hours"]
    done = signed_in.post(page.url.path, data=form, headers={"Origin": ORIGIN})
    assert done.status_code == 303
    stored = client.get(f"/v1/owners/{owner['id']}", headers=admin).json()
    assert stored["working_hours"] == {"mon": ["10:00-11:00"], "sun": ["09:00-17:00"]}


def test_bad_hours_are_refused_with_the_reason_and_change_nothing(signed_in, client, admin,
                                                                 owner) -> None:  # noqa: ANN001
    page = signed_in.get(f"/admin/owners/{owner['id']}/hours")
    refused = signed_in.post(page.url.path, data=_hours_form(page.text, "25:00-26:00"),
                             headers={"Origin": ORIGIN})
    assert refused.status_code == 422 and "25:00" in refused.text and 'role="alert"' in refused.text
    stored = client.get(f"/v1/owners/{owner['id']}", headers=admin).json()
    assert stored["working_hours"] == OWNER_BODY["working_hours"]


def test_an_owner_key_sees_only_its_owner(signed_in, client, admin) -> None:  # noqa: ANN001
    other = {**OWNER_BODY, "id": "other"}
    assert client.post("/v1/owners", json=other, headers=admin).status_code == 201
    for page in ("", "/year", "/hours", "/occasions", "/leave", "/replies", "/channels",
                 "/activity"):
        assert signed_in.get(f"/admin/owners/other{page}").status_code == 404
        assert signed_in.get(f"/admin/owners/nobody{page}").status_code == 404
    assert signed_in.get("/admin/calendar").status_code == 404


def test_an_admin_key_picks_any_owner_and_sees_the_calendar(browser_client, owner,
                                                            admin_key) -> None:  # noqa: ANN001
    assert sign_in(browser_client, admin_key).status_code == 303
    picker = browser_client.get("/admin")
    assert picker.status_code == 200 and f"/admin/owners/{owner['id']}" in picker.text
    assert browser_client.get(f"/admin/owners/{owner['id']}/year").status_code == 200
    calendar = browser_client.get("/admin/calendar?country=SA")
    assert calendar.status_code == 200 and "eid_al_fitr" in calendar.text


def test_sign_out_ends_the_session_on_the_server(signed_in, owner) -> None:  # noqa: ANN001
    token = signed_in.cookies.get("ijaza_console")
    page = signed_in.get(f"/admin/owners/{owner['id']}")
    out = signed_in.post("/admin/sign-out", data={"csrf": form_token(page.text)},
                         headers={"Origin": ORIGIN})
    assert out.status_code == 303
    signed_in.cookies.set("ijaza_console", token, domain="ijaza.example.com")  # a copied cookie
    again = signed_in.get(f"/admin/owners/{owner['id']}")
    assert again.status_code == 303 and again.headers["location"] == "/admin"


def test_revoking_the_key_ends_its_sessions(signed_in, client, admin, owner) -> None:  # noqa: ANN001
    keys = client.get("/v1/keys", headers=admin).json()["items"]
    owner_keys = [k for k in keys if k.get("owner_id") == owner["id"]]
    assert len(owner_keys) == 1
    assert signed_in.get(f"/admin/owners/{owner['id']}").status_code == 200
    assert client.delete(f"/v1/keys/{owner_keys[0]['id']}", headers=admin).status_code == 204
    assert signed_in.get(f"/admin/owners/{owner['id']}").status_code == 303


def test_an_expired_session_signs_in_again(signed_in, owner, sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        for row in session.scalars(select(ConsoleSession)):
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert signed_in.get(f"/admin/owners/{owner['id']}").status_code == 303


def test_a_template_that_does_not_render_is_refused_with_the_reason(signed_in, client, admin,
                                                                   owner) -> None:  # noqa: ANN001
    path = f"/admin/owners/{owner['id']}/replies"
    page = signed_in.get(path)
    bad = signed_in.post(path, data={"csrf": form_token(page.text), "situation": "off",
                                     "language": "en", "tone": "formal", "action": "save",
                                     "source": "Hello {{ contact_name.__class__ }}"},
                         headers={"Origin": ORIGIN})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    stored = client.get(f"/v1/owners/{owner['id']}/templates/off/en/formal", headers=admin)
    assert stored.json()["custom"] is False
    good = signed_in.post(path, data={"csrf": form_token(page.text), "situation": "off",
                                      "language": "en", "tone": "formal", "action": "save",
                                      "source": "Dear {{ contact_name }}, back {{ back_at }}."},
                          headers={"Origin": ORIGIN})
    assert good.status_code == 303
    stored = client.get(f"/v1/owners/{owner['id']}/templates/off/en/formal", headers=admin)
    assert stored.json()["source"] == "Dear {{ contact_name }}, back {{ back_at }}."


def test_the_language_switch_is_remembered(signed_in, owner) -> None:  # noqa: ANN001
    ar = signed_in.get(f"/admin/owners/{owner['id']}")
    assert '<html lang="ar" dir="rtl">' in ar.text
    en = signed_in.get(f"/admin/owners/{owner['id']}?lang=en")
    assert '<html lang="en" dir="ltr">' in en.text
    later = signed_in.get(f"/admin/owners/{owner['id']}/hours")
    assert '<html lang="en" dir="ltr">' in later.text


def test_before_any_choice_the_console_speaks_the_owners_first_language(
        signed_in, client, admin, owner) -> None:  # noqa: ANN001
    client.patch(f"/v1/owners/{owner['id']}", json={"languages": ["en", "ar"]}, headers=admin)
    assert '<html lang="en" dir="ltr">' in signed_in.get(f"/admin/owners/{owner['id']}").text
    chosen = signed_in.get(f"/admin/owners/{owner['id']}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in chosen.text
    assert '<html lang="ar" dir="rtl">' in signed_in.get(f"/admin/owners/{owner['id']}").text


def test_the_hours_page_starts_the_week_on_the_countrys_first_working_day(signed_in, client,
                                                                         admin, owner) -> None:  # noqa: ANN001
    sa = signed_in.get(f"/admin/owners/{owner['id']}/hours?lang=en").text
    assert sa.index('id="day_sun"') < sa.index('id="day_mon"') < sa.index('id="day_sat"')
    client.patch(f"/v1/owners/{owner['id']}", json={"country": "AE"}, headers=admin)
    ae = signed_in.get(f"/admin/owners/{owner['id']}/hours").text
    assert ae.index('id="day_mon"') < ae.index('id="day_fri"') < ae.index('id="day_sun"')
