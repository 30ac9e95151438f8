"""The console in a real browser: Debian's chromium driven by Playwright for Python, against
a live server. Every request the pages make is watched: none may leave our origin."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import OWNER_BODY
from tests.fakes import free_port

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RIYADH = ZoneInfo("Asia/Riyadh")
PAGES = ("", "/year", "/hours", "/occasions", "/leave", "/replies", "/channels", "/activity")


@pytest.fixture
def live(settings, sessions) -> Iterator[dict[str, Any]]:  # noqa: ANN001
    """A live server whose public base URL is where the browser reaches it."""
    import uvicorn
    from fastapi.testclient import TestClient

    from app.main import create_app

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"public_base_url": origin}), background=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)  # uvicorn offers no event to wait on; bounded
    api = TestClient(app)
    yield {"origin": origin, "api": api, "app": app}
    server.should_exit = True
    thread.join(timeout=5)
    app.state.engine.dispose()


@pytest.fixture
def keys(live, sessions) -> dict[str, str]:  # noqa: ANN001
    from app.db import session_scope
    from app.keys.service import create_key

    with session_scope(sessions) as session:
        admin = create_key(session, admin=True, owner_id=None).key
    headers = {"Authorization": f"Bearer {admin}"}
    assert live["api"].post("/v1/owners", json={**OWNER_BODY, "public_page": True},
                            headers=headers).status_code == 201
    with session_scope(sessions) as session:
        owner = create_key(session, admin=False, owner_id=OWNER_BODY["id"]).key
    return {"admin": admin, "owner": owner}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live) -> Iterator[Any]:  # noqa: ANN001
    """A page whose every request outside our origin is recorded and refused."""
    # bypass_csp: the test's own probes (wait_for_function, axe) are scripts the page's
    # Content-Security-Policy would rightly refuse.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live["origin"])
    foreign: list[str] = []

    def watch(route: Any) -> None:
        if route.request.url.startswith(live["origin"] + "/"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", watch)
    tab = context.new_page()
    tab.foreign = foreign
    yield tab
    assert foreign == [], f"requests left our origin: {foreign}"
    context.close()


def sign_in(page: Any, origin: str, key: str) -> None:
    page.goto(f"{origin}/admin")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/admin**")


def axe_serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations"
                          ".filter(v => ['serious', 'critical'].includes(v.impact))"
                          ".map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' '))")
    return list(found)


def test_an_owner_sets_the_week_leave_a_template_and_a_channel(page, live, keys) -> None:  # noqa: ANN001
    origin, owner = live["origin"], f"{live['origin']}/admin/owners/nakhla"
    sign_in(page, origin, keys["owner"])
    assert page.url == owner
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: the session is out of reach
    stored = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert keys["owner"] not in stored
    assert all(keys["owner"] not in c["value"] for c in page.context.cookies())

    # A split week, and a Thursday-night shift across midnight.
    page.goto(f"{owner}/hours")
    page.fill("#day_sun", "09:00-13:00, 16:00-20:00")
    page.fill("#day_thu", "09:00-13:00, 22:00-02:00")
    page.click("form.stack > p.top-save > button")
    page.wait_for_url(f"{owner}/hours?saved=1")
    stored = live["api"].get("/v1/owners/nakhla",
                             headers={"Authorization": f"Bearer {keys['owner']}"}).json()
    assert stored["working_hours"]["thu"] == ["09:00-13:00", "22:00-02:00"]
    assert stored["working_hours"]["sun"] == ["09:00-13:00", "16:00-20:00"]

    # Leave from yesterday for five days: the overview and the public page say "off".
    page.goto(owner)
    before = page.get_attribute("[data-status]", "data-status")
    page.goto(f"{owner}/leave")
    now = datetime.now(RIYADH)
    page.fill("#sd-new", (now - timedelta(days=1)).strftime("%Y-%m-%d"))
    page.fill("#st-new", "08:00")
    page.fill("#ed-new", (now + timedelta(days=5)).strftime("%Y-%m-%d"))
    page.fill("#et-new", "18:00")
    page.fill("#te-new", "Family trip")
    page.fill("#ta-new", "رحلة عائلية")
    page.click("#add ~ form button[type=submit]")
    page.wait_for_url(f"{owner}/leave?saved=1")
    assert "رحلة عائلية" in page.inner_text("main")
    page.goto(owner)
    assert page.get_attribute("[data-status]", "data-status") == "off" != before
    assert "رحلة عائلية" in page.inner_text("main")
    page.goto(f"{origin}/p/nakhla")
    assert page.get_attribute("[data-status]", "data-status") == "off"

    # Editing a template changes its live preview (htmx), before anything is saved.
    page.goto(f"{owner}/replies?situation=off&language=en&tone=formal")
    page.fill("#contact_name", "Layla")
    page.dispatch_event("#contact_name", "change")
    page.wait_for_function("document.querySelector('#preview-text').innerText.includes('Layla')")
    page.fill("#source", "Dear {{ contact_name }}, we are back {{ back_at }}. Ref 4711")
    page.wait_for_function("document.querySelector('#preview-text').innerText.includes('Ref 4711')")
    assert "Dear Layla, we are back" in page.inner_text("#preview-text")
    page.fill("#source", "From ")
    page.click("button[data-insert='{{ owner_name }}']")
    assert page.input_value("#source") == "From {{ owner_name }}"
    page.wait_for_function("document.querySelector('#preview-text').innerText.includes('From Nakhla Studio')")
    page.fill("#source", "Broken {{ contact_name.__class__ }}")
    page.wait_for_selector("#preview [role=alert]")

    # Connect a generic channel, then copy its webhook URL.
    page.goto(f"{owner}/channels")
    page.select_option("#platform-pick", "generic")
    page.click("#connect ~ form button, #connect + form button")
    page.wait_for_selector("#connect-form")
    page.fill("#ch-name", "CRM")
    page.fill("#s-signing_secret", "s3cret-s3cret-s3cret")
    page.click("#connect-form button[type=submit]")
    page.wait_for_url(f"{owner}/channels?saved=1")
    url = page.input_value("input.webhook")
    assert url.startswith(f"{origin}/hooks/ch_")
    assert "s3cret" not in page.content()
    page.click("[data-copy]")
    page.wait_for_function("document.querySelector('[data-copy]').textContent.trim() !== ''"
                           " && navigator.clipboard !== undefined")
    assert page.evaluate("navigator.clipboard.readText()") == url

    # Signing out ends the session: the pages send the browser back to the sign-in form.
    page.click("form[action='/admin/sign-out'] button")
    page.wait_for_url(f"{origin}/admin")
    page.goto(f"{owner}/hours")
    assert page.url == f"{origin}/admin" and page.locator("#key").count() == 1


def test_an_owner_key_cannot_open_another_owner(page, live, keys) -> None:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    assert live["api"].post("/v1/owners", json={**OWNER_BODY, "id": "other"},
                            headers=headers).status_code == 201
    sign_in(page, live["origin"], keys["owner"])
    for suffix in PAGES:
        response = page.goto(f"{live['origin']}/admin/owners/other{suffix}")
        assert response.status == 404
    assert page.goto(f"{live['origin']}/admin/calendar").status == 404


def test_forms_without_the_token_or_from_another_origin_are_refused(browser, live, keys) -> None:  # noqa: ANN001
    origin = live["origin"]
    target = f"{origin}/admin/owners/nakhla/hours"
    # A page on another origin (another port of this host: same site, so the cookie goes)
    # that posts a form to the console, as an attacker's page would.
    attacker = f"""<form id=f method=post action="{target}"><input name=day_mon value="01:00-02:00">
        <input name=csrf value="forged"></form><script>document.getElementById('f').submit()</script>"""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(attacker.encode())

        def log_message(self, *args: Any) -> None:
            pass

    evil = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    context = browser.new_context(bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in(tab, origin, keys["owner"])
        with tab.expect_response(target) as refused:
            tab.goto(f"http://127.0.0.1:{evil.server_port}/")
        assert refused.value.status == 403
        tab.goto(target)
        # The console's own page, without the token: refused too.
        status = tab.evaluate("""async (url) => {
            const body = new URLSearchParams({day_mon: '01:00-02:00'});
            return (await fetch(url, {method: 'POST', body})).status; }""", target)
        assert status == 403
    finally:
        context.close()
        evil.shutdown()
    stored = live["api"].get("/v1/owners/nakhla",
                             headers={"Authorization": f"Bearer {keys['admin']}"}).json()
    assert "mon" in stored["working_hours"]
    assert stored["working_hours"]["mon"] == OWNER_BODY["working_hours"]["mon"]


def _seed(live: dict[str, Any], keys: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    now = datetime.now(RIYADH)
    start = (now + timedelta(days=9)).replace(hour=0, minute=0, second=0, microsecond=0)
    live["api"].post("/v1/owners/nakhla/windows", headers=headers, json={
        "kind": "off", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=4)).isoformat(),
        "title": {"ar": "إجازة عائلية", "en": "Family leave"}})
    live["api"].post("/v1/owners/nakhla/channels", headers=headers, json={
        "platform": "generic", "name": "CRM", "settings": {"signing_secret": "x" * 20}})


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_page_reads_right_passes_axe_and_is_photographed(page, live, keys, shots,
                                                               language: str) -> None:  # noqa: ANN001
    _seed(live, keys)
    origin = live["origin"]
    sign_in(page, origin, keys["admin"])
    urls = [f"/admin/owners/nakhla{s}" for s in PAGES] + ["/admin/calendar", "/p/nakhla"]
    page.goto(f"{origin}/admin?lang={language}")
    for url in urls:
        sep = "&" if "?" in url else "?"
        page.goto(f"{origin}{url}{sep}lang={language}" if url.startswith("/p/") else origin + url)
        direction = page.evaluate("getComputedStyle(document.documentElement).direction")
        assert direction == ("rtl" if language == "ar" else "ltr"), url
        assert page.get_attribute("html", "lang") == language
        assert axe_serious(page) == [], url
        # Every word is a word: no Python reprs or missing keys leaked into the page.
        text = page.inner_text("body")
        assert "built-in method" not in text and "Undefined" not in text, url
    for name, suffix in (("overview", ""), ("year", "/year"), ("hours", "/hours"),
                         ("replies", "/replies")):
        for device, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.goto(f"{origin}/admin/owners/nakhla{suffix}")
            # Nothing wider than the screen: a phone never scrolls sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0], (name, device)
            page.screenshot(path=str(shots / f"{name}-{language}-{device}.png"), full_page=True)
            assert (shots / f"{name}-{language}-{device}.png").stat().st_size > 5000
    assert json.dumps(page.foreign) == "[]"


# Where each character of the first text node under ``selector`` containing ``needle`` is
# laid out, left to right (the browser's own bidi, not ours).
_LAYOUT = """([selector, needle]) => {
  const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.textContent.indexOf(needle);
    if (at < 0) continue;
    return [...needle].map((_, i) => {
      const range = document.createRange();
      range.setStart(node, at + i); range.setEnd(node, at + i + 1);
      return range.getBoundingClientRect().left;
    });
  }
  return null;
}"""


def test_the_arabic_page_shows_the_urgent_number_as_it_is_dialled(page, live, keys) -> None:  # noqa: ANN001
    """After an Arabic name the digits of "+966 50 000 0000" are Arabic numbers to the bidi
    algorithm, and its groups come out reversed ("0000 000 50 966+") unless isolated."""
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    changed = live["api"].patch(f"/v1/owners/{OWNER_BODY['id']}", headers=headers, json={
        "urgent_contact": "Omar (عمر) — +966 50 000 0000", "urgent_contact_public": True})
    assert changed.status_code == 200, changed.text
    for language in ("ar", "en"):
        page.goto(f"{live['origin']}/p/{OWNER_BODY['id']}?lang={language}")
        lefts = page.evaluate(_LAYOUT, ["#urgent-contact", "+966 50 000 0000"])
        assert lefts is not None, page.content()
        digits = [x for x, ch in zip(lefts, "+966 50 000 0000", strict=True) if ch != " "]
        assert digits == sorted(digits), (language, lefts)  # read left to right, as dialled


# The text of an <input>, laid out in its direction as a block of its own would be: the
# same bidi algorithm, measurable (an input's glyphs are not in the DOM).
_INPUT_LAYOUT = """([selector, needle]) => {
  const input = document.querySelector(selector);
  const block = document.createElement('div');
  block.dir = getComputedStyle(input).direction;
  block.style.whiteSpace = 'pre';
  block.textContent = input.value;
  document.body.append(block);
  const at = input.value.indexOf(needle);
  if (at < 0) return null;
  return [...needle].map((_, i) => {
    const range = document.createRange();
    range.setStart(block.firstChild, at + i); range.setEnd(block.firstChild, at + i + 1);
    return range.getBoundingClientRect().left;
  });
}"""


def test_the_hours_page_shows_the_urgent_number_as_typed_and_stores_it_as_typed(
        page, live, keys) -> None:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    typed = "Omar (عمر) — +966 50 000 0000"
    assert live["api"].patch(f"/v1/owners/{OWNER_BODY['id']}", headers=headers,
                             json={"urgent_contact": typed}).status_code == 200
    sign_in(page, live["origin"], keys["admin"])
    for language in ("ar", "en"):
        page.goto(f"{live['origin']}/admin/owners/{OWNER_BODY['id']}/hours?lang={language}")
        lefts = page.evaluate(_INPUT_LAYOUT, ["#urgent_contact", "966 50 000 0000"])
        assert lefts is not None, page.content()
        digits = [x for x, ch in zip(lefts, "966 50 000 0000", strict=True) if ch != " "]
        assert digits == sorted(digits), (language, lefts)
    with page.expect_navigation():
        page.locator(".top-save button").click()  # saved as shown, unchanged
    stored = live["api"].get(f"/v1/owners/{OWNER_BODY['id']}", headers=headers).json()
    assert stored["urgent_contact"] == typed


def test_the_public_page_says_when_the_owner_is_back_from_each_break(page, live, keys) -> None:  # noqa: ANN001
    page.goto(f"{live['origin']}/p/{OWNER_BODY['id']}?lang=en")
    breaks = page.locator("#upcoming li")
    assert breaks.count() >= 1  # the country's Eid, by default
    for i in range(breaks.count()):
        item = breaks.nth(i).inner_text()
        assert "Back:" in item, item
        # a range is said only when its two days differ
        for low, high in re.findall(r"between (.+?) and (.+?)\)", item):
            assert low != high, item


def test_the_axe_check_does_find_a_serious_violation(page) -> None:  # noqa: ANN001
    page.set_content('<html lang="en"><body><main><input type="text"></main></body></html>')
    assert any(v.startswith("label:") for v in axe_serious(page))


def test_the_pages_work_without_javascript(browser, live, keys) -> None:  # noqa: ANN001
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        owner = f"{live['origin']}/admin/owners/nakhla"
        sign_in(tab, live["origin"], keys["owner"])
        tab.goto(f"{owner}/replies?situation=off&language=en&tone=friendly&lang=en")
        tab.fill("#contact_name", "Samir")
        tab.fill("#source", "Hi {{ contact_name }}! No script needed.")
        tab.click("button[name=action][value=preview]")
        tab.wait_for_load_state()
        assert "Hi Samir! No script needed." in tab.inner_text("#preview-text")
        tab.goto(f"{owner}/hours")
        tab.fill("#day_sun", "08:00-12:00")
        tab.click("button[name=copy_from][value=sun]")
        tab.wait_for_load_state()
        assert tab.input_value("#day_wed") == "08:00-12:00"  # shown, not yet saved
        tab.click("form.stack > p.top-save > button")
        tab.wait_for_url(f"{owner}/hours?saved=1")
        stored = live["api"].get("/v1/owners/nakhla",
                                 headers={"Authorization": f"Bearer {keys['owner']}"}).json()
        assert stored["working_hours"]["wed"] == ["08:00-12:00"]
        assert "fri" not in stored["working_hours"]  # the weekend is left alone
    finally:
        context.close()
