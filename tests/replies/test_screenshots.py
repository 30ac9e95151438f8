"""The same moment as a client reads it on WhatsApp and by email, in Arabic and English:
rendered by Debian's chromium (Playwright, headless) into chat bubbles and an email pane,
saved as docs/screenshots/replies-*.png for the README. Also the one story of "when": the
reply's back-at is the status page's and the feed's."""

from __future__ import annotations

import html
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from icalendar import Calendar

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TODAY = datetime(2026, 12, 1, 9, tzinfo=UTC)


def eid_window(client, admin, owner) -> dict:  # noqa: ANN001
    with mock.patch("app.clock.now", return_value=TODAY):
        items = client.get(f"/v1/owners/{owner['id']}/windows", headers=admin, params={
            "from": "2027-05-01T00:00:00+03:00", "to": "2027-06-30T00:00:00+03:00"}).json()["items"]
    return next(w for w in items if w["occasion"] == "eid_al_adha")


def replies_at(client, admin, owner, at: str) -> dict[tuple[str, str], dict]:  # noqa: ANN001
    out = {}
    for language, name in (("ar", "أمينة"), ("en", "Amina")):
        for channel in ("whatsapp", "email"):
            with mock.patch("app.clock.now", return_value=TODAY):
                decision = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=admin, json={
                    "channel": channel, "dry_run": True, "received_at": at,
                    "contact": {"address": "+201001234567", "name": name, "language": language},
                    "text": "hello"}).json()
            out[(language, channel)] = decision
    return out


def test_the_reply_the_page_and_the_feed_say_the_same_back_at(client, admin, owner) -> None:  # noqa: ANN001
    shown = client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True}, headers=admin)
    assert shown.status_code == 200, shown.text
    eid = eid_window(client, admin, owner)
    inside = datetime.fromisoformat(eid["starts_at"]) + (
        datetime.fromisoformat(eid["ends_at"]) - datetime.fromisoformat(eid["starts_at"])) / 2
    decisions = replies_at(client, admin, owner, inside.isoformat())
    backs = {d["back_at"] for d in decisions.values()}
    assert len(backs) == 1
    with mock.patch("app.clock.now", return_value=inside.astimezone(UTC)):
        status = client.get(f"/p/{owner['id']}/status.json").json()
        feed = Calendar.from_ical(client.get(f"/p/{owner['id']}.ics").content)
        page = client.get(f"/p/{owner['id']}", params={"lang": "ar"}).text
    assert status["back_at"] == backs.pop()
    event = next(e for e in feed.walk("VEVENT") if str(e["uid"]).startswith(eid["id"]))
    assert str(event["x-ijaza-back-at"]) == datetime.fromisoformat(status["back_at"]).isoformat()
    # the feed speaks the owner's first language (Arabic here), as its titles do
    description = str(event["description"])
    assert description.startswith("نعود يوم "), description
    back_words = description.removeprefix("نعود يوم ").split(" (")[0].rstrip(".")
    assert back_words in decisions[("ar", "email")]["reply"]["text"]  # the same words
    assert html.escape(back_words) in page or back_words in page
    assert str(feed["x-wr-calname"]).endswith("— الإجازات")


PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font-family: "Noto Sans Arabic", "DejaVu Sans", sans-serif; background: #ece5dd;
       margin: 0; padding: 24px; width: 1100px; }}
h1 {{ font-size: 18px; margin: 0 0 12px; }}
.row {{ display: flex; gap: 24px; align-items: flex-start; }}
.phone {{ width: 380px; background: #efeae2; border-radius: 18px; padding: 16px;
          box-shadow: 0 2px 6px #0003; }}
.bar {{ background: #075e54; color: white; margin: -16px -16px 12px; padding: 10px 16px;
        border-radius: 18px 18px 0 0; font-weight: bold; }}
.bubble {{ background: #fff; border-radius: 10px; padding: 8px 10px; white-space: pre-wrap;
           font-size: 15px; line-height: 1.45; box-shadow: 0 1px 1px #0002; }}
.mail {{ flex: 1; background: #fff; border-radius: 8px; padding: 16px 20px;
         box-shadow: 0 2px 6px #0003; }}
.subject {{ font-weight: bold; font-size: 16px; border-bottom: 1px solid #ddd;
            padding-bottom: 8px; margin-bottom: 10px; }}
.body {{ white-space: pre-wrap; font-size: 14px; line-height: 1.5; }}
</style></head><body>
<h1>{heading}</h1>
<div class="row">
  <div class="phone" dir="{dir}"><div class="bar">WhatsApp · Nakhla Studio</div>
    <div class="bubble" id="chat" dir="{dir}" lang="{lang}">{chat}</div></div>
  <div class="mail" dir="{dir}" lang="{lang}"><div class="subject">{subject}</div>
    <div class="body" id="mail">{mail}</div></div>
</div></body></html>"""

NUMBER = "+20 100 123 4567"
# Where the urgent number's "+", its first digit and its last digit are drawn, as (line, x).
# Read in order they go line by line, left to right; without isolates an Arabic paragraph
# draws "4567 123 100 20+".
NUMBER_IN_ORDER = """([id, number]) => {
  const root = document.getElementById(id);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, at = node.data.indexOf(number);
    if (at < 0) continue;
    const left = (i) => { const r = document.createRange(); r.setStart(node, i);
                          r.setEnd(node, i + 1); const box = r.getBoundingClientRect();
                          return [Math.round(box.top), box.left]; };
    return [left(at), left(at + 1), left(at + number.length - 1)];
  }
  return null;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                    reason="Debian's chromium is not installed here (CI never skips)")
def test_whatsapp_and_email_side_by_side_in_both_languages(client, admin, owner, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    assert client.patch(f"/v1/owners/{owner['id']}", headers=admin, json={
        "urgent_contact": f"عمر {NUMBER}"}).status_code == 200
    eid = eid_window(client, admin, owner)
    inside = datetime.fromisoformat(eid["starts_at"]).replace(hour=11)
    decisions = replies_at(client, admin, owner, inside.isoformat())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1150, "height": 700})
            for language in ("ar", "en"):
                chat = decisions[(language, "whatsapp")]["reply"]
                mail = decisions[(language, "email")]["reply"]
                assert len(chat["text"]) <= 320 < len(mail["text"])
                page.set_content(PAGE.format(
                    heading=("الرد نفسه على واتساب وبالبريد" if language == "ar"
                             else "The same moment on WhatsApp and by email"),
                    dir="rtl" if language == "ar" else "ltr", lang=language,
                    chat=html.escape(chat["text"]), mail=html.escape(mail["text"]),
                    subject=html.escape(mail["subject"])))
                for pane in ("chat", "mail"):
                    plus, first, last = page.evaluate(NUMBER_IN_ORDER, [pane, NUMBER])
                    # (line, x): a long line may wrap inside the number, never reorder it
                    assert tuple(plus) < tuple(first) < tuple(last), (
                        f"{language} {pane}: the number out of order")
                direction = page.eval_on_selector("#chat", "e => getComputedStyle(e).direction")
                assert direction == ("rtl" if language == "ar" else "ltr")
                shot = shots / f"replies-{language}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
        finally:
            browser.close()
