"""The public pages: rendered by a real browser (Debian's chromium) against a live server,
plus the iCalendar feed and the JSON status."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from app.pages.endpoints import TEXT
from tests.fakes import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def owner(owner, client, admin) -> dict:  # noqa: ANN001
    """The owner, with its public page on (the default is off)."""
    response = client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True},
                            headers=admin)
    assert response.status_code == 200 and response.json()["public_page"] is True
    return response.json()


def leave(now: datetime) -> dict:
    return {"kind": "off", "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=5)).isoformat(),
            "title": {"en": "Eid holiday", "ar": "عطلة العيد"}}


def test_status_json_and_ics(client, admin, owner) -> None:
    now = datetime.now(UTC)
    w = client.post(f"/v1/owners/{owner['id']}/windows", json=leave(now), headers=admin).json()
    status = client.get(f"/p/{owner['id']}/status.json")
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "off" and body["window"]["id"] == w["id"]
    feed = client.get(f"/p/{owner['id']}.ics")
    assert feed.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert any(str(e["uid"]).startswith(w["id"]) for e in events)
    assert all(str(e["status"]) in ("TENTATIVE", "CONFIRMED") for e in events)
    assert client.get("/p/nobody").status_code == 404


def test_page_html_in_both_languages(client, admin, owner) -> None:
    client.post(f"/v1/owners/{owner['id']}/windows", json=leave(datetime.now(UTC)), headers=admin)
    ar = client.get(f"/p/{owner['id']}")
    assert ar.status_code == 200 and 'dir="rtl"' in ar.text and "في إجازة" in ar.text
    en = client.get(f"/p/{owner['id']}", params={"lang": "en"})
    assert 'dir="ltr"' in en.text and "Away" in en.text and "Eid holiday" in en.text
    assert client.get(f"/p/{owner['id']}", params={"lang": "fr"}).status_code == 422


@pytest.fixture
def live_server(app):  # noqa: ANN001, ANN201
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Debian's chromium is not installed here (.ci/run installs it; CI never skips)")
def test_chromium_renders_the_arabic_page(client, admin, owner, live_server, tmp_path: Path) -> None:
    client.post(f"/v1/owners/{owner['id']}/windows", json=leave(datetime.now(UTC)), headers=admin)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", f"{live_server}/p/{owner['id']}"],
                         capture_output=True, text=True, timeout=90)
    assert 'dir="rtl"' in dom.stdout and 'data-status="off"' in dom.stdout
    assert "عطلة العيد" in dom.stdout
    shot = tmp_path / "page.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=800,900",
                    f"{live_server}/p/{owner['id']}?lang=en"], capture_output=True, timeout=90)
    assert shot.exists() and shot.stat().st_size > 5000
    Path("var").mkdir(exist_ok=True)
    shutil.copy(shot, "var/status-page.png")


def test_the_page_has_every_word_in_both_languages() -> None:
    assert set(TEXT["ar"]) == set(TEXT["en"]) and all(TEXT["ar"].values())
