"""The reply corpus: every situation × language × tone × channel kind, for real owners in
Riyadh, Cairo and Casablanca, with tentative, confirmed and within-the-weekend ranges —
each reply checked for the properties in ``properties.check``."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest

from app.domain import hours, rendering, rules, when
from app.domain.decision import Client, OwnerTraits, PastReply, decide
from app.domain.model import InboundMessage, Policy, Situation, Window, WindowKind
from tests.replies.properties import CANNOT_REPLY, check

OWNERS = {  # city: (country, zone, working days)
    "riyadh": ("SA", "Asia/Riyadh", ("sun", "mon", "tue", "wed", "thu")),
    "cairo": ("EG", "Africa/Cairo", ("sun", "mon", "tue", "wed", "thu")),
    "casablanca": ("MA", "Africa/Casablanca", ("mon", "tue", "wed", "thu", "fri")),
}
URGENT_CONTACT = "Omar +20 100 123 4567, omar@nakhla.example"
NAMES = {"ar": "أمينة", "en": "Amina"}


@lru_cache(maxsize=16)
def policy(city: str, today: date) -> Policy:
    country, zone, days = OWNERS[city]
    tz = ZoneInfo(zone)
    made = rules.materialise(rules.default_rules(country), country=country, tz=tz,
                             start=date(2027, 1, 1), end=date(2027, 12, 31), today=today)
    week = hours.parse_working_hours({d: ["09:00-13:00", "16:00-20:00"] for d in days})
    return Policy(timezone=tz, working_hours=week, response_time=timedelta(hours=4),
                  windows=tuple(m.window for m in made))


def window(p: Policy, occasion: str) -> Window:
    return next(w for w in p.windows if w.occasion == occasion)


def at_local(p: Policy, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=p.timezone)


def weekend_range(city: str) -> Policy:
    """A tentative break that may end on either weekend day: the return day is the same."""
    p = policy(city, date(2026, 12, 1))
    tz = p.timezone
    # Riyadh and Cairo: the weekend is Friday and Saturday; Casablanca: Saturday and Sunday.
    first_weekend_day = date(2027, 8, 6) if city != "casablanca" else date(2027, 8, 7)
    leave = Window(id="w-weekend", kind=WindowKind.OFF, occasion="custom",
                   title={"ar": "إجازة قصيرة", "en": "Short break"},
                   starts_at=datetime(2027, 8, 2, tzinfo=tz),
                   ends_at=datetime.combine(first_weekend_day, time(0), tzinfo=tz),
                   tentative=True, earliest_end=datetime.combine(first_weekend_day, time(0), tzinfo=tz),
                   latest_end=datetime.combine(first_weekend_day + timedelta(days=1), time(0),
                                               tzinfo=tz))
    return dataclasses.replace(p, windows=(*p.windows, leave))


def moments(city: str) -> list[tuple[str, Policy, datetime, str]]:
    """(label, policy, instant, text) — what the corpus writes replies for."""
    tentative = policy(city, date(2026, 12, 1))
    confirmed = policy(city, date(2028, 1, 1))  # every 2027 date has passed: none tentative
    out = []
    for label, p in (("tentative", tentative), ("confirmed", confirmed)):
        adha, ramadan = window(p, "eid_al_adha"), window(p, "ramadan")
        mid_eid = adha.starts_at + (adha.ends_at - adha.starts_at) / 2
        mid_ramadan = (ramadan.starts_at + timedelta(days=10)).astimezone(p.timezone)
        eve = (adha.starts_at - timedelta(days=1)).astimezone(p.timezone).date()
        before = (adha.starts_at - timedelta(days=3)).astimezone(p.timezone).date()
        while before.weekday() in (4, 5):
            before -= timedelta(days=1)
        out += [
            (f"{label} eid", p, mid_eid, "hello"),
            (f"{label} eid urgent", p, mid_eid, "عاجل please"),
            (f"{label} ramadan between slots", p, at_local(p, mid_ramadan.date(), 10), "hi"),
            (f"{label} ramadan urgent in a slot", p, at_local(p, mid_ramadan.date(), 20, 15),
             "urgent"),
            (f"{label} ramadan urgent between slots", p, at_local(p, mid_ramadan.date(), 10),
             "urgent"),
            (f"{label} eve of eid", p, at_local(p, eve, 22), "hello"),
            (f"{label} before eid", p, at_local(p, before, 10), "hello"),
            (f"{label} a night in october", p, at_local(p, date(2027, 10, 13), 23), "hello"),
        ]
    weekend = weekend_range(city)
    out.append(("within-weekend range", weekend, datetime(2027, 8, 3, 11, tzinfo=weekend.timezone),
                "hello"))
    return out


TRAITS = OwnerTraits(languages=("ar", "en"), tone="formal",
                     urgent_keywords=("urgent", "عاجل"), reply_once_per=timedelta(days=4))


def reply_for(p: Policy, at: datetime, body: str, language: str, tone: str, channel: str,
              *, name: str | None) -> tuple[rendering.RenderedReply | None, object]:
    """The decision and its reply, written as the reply service writes it."""
    verdict = decide(p, InboundMessage(platform="api", address="c", text=body, received_at=at),
                     Client(language=language, tone=tone), TRAITS, [])
    if not verdict.replies:
        return None, verdict
    expected = verdict.expectation
    assert expected is not None
    speak_of = verdict.notice_window or verdict.window or expected.away_for
    back, reply_by = verdict.back_at, verdict.reply_by
    if verdict.situation == Situation.ADVANCE_NOTICE and speak_of is not None:
        expected = when.expect(p, speak_of.starts_at)
        back, reply_by = expected.back_at, expected.reply_by
    ctx = rendering.ReplyContext(
        language=language, tone=tone, owner_name="Nakhla Studio", timezone=p.timezone,
        contact_name=name, occasion=speak_of.occasion if speak_of else None,
        occasion_title=speak_of.title if speak_of else None,
        period_start=speak_of.starts_at if speak_of else None,
        period_end=speak_of.ends_at if speak_of else None, back_at=back, reply_by=reply_by,
        urgent_contact=URGENT_CONTACT, tentative=bool(speak_of and speak_of.tentative),
        urgent=verdict.urgent, at=at, channel=channel, variant_key=f"{name}:{speak_of and speak_of.id}",
        status=str(verdict.status), window_kind=str(speak_of.kind) if speak_of else "",
        earliest_back=expected.earliest_back, latest_back=expected.latest_back,
        break_ahead=bool(verdict.window is None and speak_of is not None
                         and speak_of is expected.away_for))
    assert verdict.situation is not None
    return rendering.render_reply(verdict.situation, ctx), verdict


CASES = [(city, *m) for city in OWNERS for m in moments(city)]


@pytest.mark.parametrize("channel", rendering.CHANNEL_KINDS)
@pytest.mark.parametrize("tone", rendering.TONES)
@pytest.mark.parametrize("language", rendering.LANGUAGES)
@pytest.mark.parametrize(("city", "label", "p", "at", "body"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_the_corpus(city: str, label: str, p: Policy, at: datetime, body: str, language: str,
                    tone: str, channel: str) -> None:
    for name in (NAMES[language], NAMES["en" if language == "ar" else "ar"], None):
        reply, verdict = reply_for(p, at, body, language, tone, channel, name=name)
        if reply is None:
            assert label.endswith("before eid") is False or verdict.reason is not None
            continue
        check(reply, channel=channel, this_year=at.year, contact_name=name)
        text = reply.text
        status = str(verdict.status)
        if status == "reduced":  # a working slot: never "I can't reply"
            assert not any(words in text for words in CANNOT_REPLY), text
        if verdict.window is not None and verdict.window.occasion == "eid_al_adha" and (
                name and name in text and reply.language == language):
            greeting = rendering.greeting("eid_al_adha", language, tone,
                                          short=channel != "email")
            assert greeting is not None and text.index(name) < text.index(greeting)
        if label == "within-weekend range":
            assert "moon" not in text and "الهلال" not in text  # one return day, no range
        if label.startswith("tentative eid") and channel != "sms":
            # the Saudi, Egyptian and Moroccan 2027 Eid al-Adha may end a day later
            assert verdict.expectation is not None
        if label.endswith("eve of eid"):
            title = "عيد الأضحى" if language == "ar" else "Eid al-Adha"
            assert title in text, text  # names the break it is about to take


def test_a_notified_client_still_gets_one_reply_during_the_break() -> None:
    p = policy("riyadh", date(2026, 12, 1))
    adha = window(p, "eid_al_adha")
    told = [PastReply(at=adha.starts_at - timedelta(days=3), situation="advance_notice",
                      window_id=adha.id)]
    mid = adha.starts_at + timedelta(days=1)
    message = InboundMessage(platform="whatsapp", address="c", text="hi", received_at=mid)
    first = decide(p, message, Client(), TRAITS, told)
    assert first.situation == Situation.OFF and first.replies
    again = decide(p, message, Client(), TRAITS,
                   [*told, PastReply(at=mid, situation="off", window_id=adha.id)])
    assert again.suppressed == "throttled"


def test_the_decision_says_why_there_is_no_reply() -> None:
    p = policy("riyadh", date(2026, 12, 1))
    adha = window(p, "eid_al_adha")
    working = datetime(2027, 10, 12, 10, tzinfo=p.timezone)  # a Tuesday morning
    message = InboundMessage(platform="api", address="c", text="hi", received_at=working)
    assert decide(p, message, Client(), TRAITS, []).reason == "answers_in_person"
    before = adha.starts_at - timedelta(days=2)
    while not (9 <= before.astimezone(p.timezone).hour < 13) or before.weekday() in (4, 5):
        before -= timedelta(hours=1)
    told = [PastReply(at=before - timedelta(days=1), situation="advance_notice",
                      window_id=adha.id)]
    notice = decide(p, dataclasses.replace(message, received_at=before), Client(), TRAITS, told)
    assert notice.situation is None and notice.reason == "already_notified"
    fresh = decide(p, dataclasses.replace(message, received_at=before), Client(), TRAITS, [])
    assert fresh.situation == Situation.ADVANCE_NOTICE and fresh.reason is None


def test_a_reduced_window_gets_its_own_advance_notice() -> None:
    p = policy("cairo", date(2026, 12, 1))
    ramadan = window(p, "ramadan")
    before = (ramadan.starts_at - timedelta(days=ramadan.notice_days - 1)).astimezone(p.timezone)
    at = datetime.combine(before.date(), time(10), tzinfo=p.timezone)
    while at.weekday() in (4, 5):
        at -= timedelta(days=1)
    reply, verdict = reply_for(p, at, "hello", "en", "formal", "email", name="Amina")
    assert verdict.situation == Situation.ADVANCE_NOTICE and verdict.notice_window == ramadan
    assert reply is not None and "slower" in reply.text and "Ramadan" in reply.text
    too_early = ramadan.starts_at - timedelta(days=ramadan.notice_days + 2)
    early = decide(p, InboundMessage(platform="api", address="c", text="hi",
                                     received_at=too_early), Client(), TRAITS, [])
    assert early.notice_window is None or early.notice_window.occasion != "ramadan"


def test_the_shipped_ramadan_promise_is_that_evening() -> None:
    p = policy("riyadh", date(2026, 12, 1))
    ramadan = window(p, "ramadan")
    day = ramadan.starts_at.astimezone(p.timezone).date() + timedelta(days=5)
    while day.weekday() != 0:  # a Monday
        day += timedelta(days=1)
    noon = datetime.combine(day, time(12), tzinfo=p.timezone)
    expected = when.expect(p, noon)
    assert expected.reply_by == datetime.combine(day, time(21), tzinfo=p.timezone)


def test_the_same_client_gets_different_letters_across_breaks() -> None:
    p = policy("riyadh", date(2026, 12, 1))
    texts = set()
    for occasion in ("eid_al_fitr", "eid_al_adha"):
        w = window(p, occasion)
        for client in ("a", "b", "c", "d"):
            ctx = rendering.ReplyContext(
                language="en", tone="friendly", owner_name="Nakhla", timezone=p.timezone,
                contact_name="Amina", occasion=occasion, occasion_title={"en": "Eid"},
                back_at=w.ends_at, reply_by=w.ends_at + timedelta(hours=4), status="off",
                variant_key=f"{client}:{w.id}")
            texts.add(rendering.render_reply("off", ctx).text.split("\n\n", 1)[1])
    assert len(texts) >= 2
