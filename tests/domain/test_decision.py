"""The decision rules, pure: who gets a reply, which one, and why not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.decision import (
    HARD_CAP,
    Client,
    OwnerTraits,
    PastReply,
    Verdict,
    choose_language,
    decide,
)
from app.domain.model import (
    DailyInterval,
    InboundMessage,
    Policy,
    Situation,
    Status,
    Suppression,
    Window,
    WindowKind,
    WindowSource,
    WorkingHours,
)

RIYADH = ZoneInfo("Asia/Riyadh")
NINE_TO_FIVE = (DailyInterval(time(9), time(17)),)
WEEK = WorkingHours(days=(NINE_TO_FIVE,) * 4 + ((), ()) + (NINE_TO_FIVE,))  # Sun–Thu
TRAITS = OwnerTraits(languages=("ar", "en"), tone="formal", urgent_keywords=("urgent", "عاجل"),
                     reply_once_per=timedelta(days=4))
EID = Window(id="eid", kind=WindowKind.OFF, starts_at=datetime(2030, 7, 1, tzinfo=RIYADH),
             ends_at=datetime(2030, 7, 8, tzinfo=RIYADH), source=WindowSource.RULE,
             occasion="eid_al_adha", notice_days=7)
POLICY = Policy(timezone=RIYADH, working_hours=WEEK, response_time=timedelta(hours=4),
                windows=(EID,))
IN_EID = datetime(2030, 7, 3, 11, tzinfo=RIYADH)


def message(text: str = "hello", at: datetime = IN_EID, **kw: Any) -> InboundMessage:
    return InboundMessage(platform="api", address="+966500000000", text=text, received_at=at,
                          **kw)


def ask(at: datetime = IN_EID, text: str = "hello", history: Sequence[PastReply] = (),
        client: Client = Client(), **kw: Any) -> Verdict:
    return decide(POLICY, message(text, at, **kw), client, TRAITS, list(history))


def test_off_window_replies_once() -> None:
    first = ask()
    assert first.status is Status.OFF and first.situation == "off" and first.replies
    second = ask(history=[PastReply(at=IN_EID, situation="off", window_id="eid")],
                 at=IN_EID + timedelta(hours=5))
    assert second.suppressed == "throttled"


def test_urgent_gets_its_own_single_reply_even_after_the_notice() -> None:
    told = [PastReply(at=IN_EID, situation="off", window_id="eid")]
    urgent = ask(at=IN_EID + timedelta(hours=1), text="URGENT: the site is down", history=told)
    assert urgent.urgent and urgent.situation == "urgent" and urgent.replies
    again = ask(at=IN_EID + timedelta(hours=2), text="urgent!!",
                history=told + [PastReply(at=IN_EID + timedelta(hours=1), situation="urgent",
                                          window_id="eid")])
    assert again.suppressed == "throttled"


def test_vip_is_urgent() -> None:
    assert ask(client=Client(vip=True)).urgent


def test_hard_cap_stops_loops_whatever_else() -> None:
    burst = [PastReply(at=IN_EID - timedelta(minutes=i), situation="advance_notice", window_id=f"w{i}")
             for i in range(HARD_CAP)]
    assert ask(history=burst).suppressed == "throttled"


def test_order_channel_then_opt_out_then_activity() -> None:
    opted_out = Client(opted_out=True)
    assert ask(suppressed=Suppression.AUTO_SUBMITTED,
               client=opted_out).suppressed == "auto_submitted"
    assert ask(client=opted_out).suppressed == "opted_out"
    assert decide(POLICY, message("hi"), Client(), TRAITS, [],
                  owner_active=True).suppressed == "owner_active"


def test_at_defaults_to_received_at_and_may_be_given_in_utc() -> None:
    in_utc = IN_EID.astimezone(ZoneInfo("UTC"))
    given = decide(POLICY, message(at=IN_EID), Client(), TRAITS, [], at=in_utc)
    assert given == ask(at=IN_EID)
    after_eid = datetime(2030, 7, 9, 10, tzinfo=RIYADH)
    assert decide(POLICY, message(at=IN_EID), Client(), TRAITS, [],
                  at=after_eid).status is Status.AVAILABLE


def test_values_are_the_strings_stored_before_the_enums() -> None:
    verdict = ask(history=[PastReply(at=IN_EID, situation="off", window_id="eid")],
                  at=IN_EID + timedelta(hours=5))
    assert verdict.suppressed is Suppression.THROTTLED and verdict.suppressed == "throttled"
    assert verdict.situation is Situation.OFF and str(verdict.situation) == "off"


def test_available_no_reply_unless_a_notice_is_due() -> None:
    tuesday = datetime(2030, 6, 18, 10, tzinfo=RIYADH)  # 13 days before: no notice yet
    assert ask(at=tuesday).situation is None
    wednesday = datetime(2030, 6, 26, 10, tzinfo=RIYADH)  # 5 days before: notice begun
    verdict = ask(at=wednesday)
    assert verdict.situation == "advance_notice" and verdict.notice_window == EID
    told = [PastReply(at=wednesday, situation="advance_notice", window_id="eid")]
    assert ask(at=wednesday + timedelta(days=1), history=told).situation is None


def test_outside_hours_once_per_period() -> None:
    evening = datetime(2030, 6, 18, 20, tzinfo=RIYADH)
    assert ask(at=evening).situation == "outside_hours"
    told = [PastReply(at=evening, situation="outside_hours", window_id=None)]
    assert ask(at=evening + timedelta(days=1), history=told).suppressed == "throttled"
    assert ask(at=evening + timedelta(days=5), history=told).suppressed is None


@pytest.mark.parametrize(("text", "stored", "given", "hint", "expected"), [
    ("السلام عليكم", None, None, None, "ar"),
    ("Hello there", None, None, None, "en"),
    ("Hello there", "ar", None, None, "ar"),
    ("Hello there", None, "ar", None, "ar"),
    ("Hello there", "en", "ar", None, "en"),
    ("👍", None, None, None, "ar"),
    ("👍", None, None, "en", "en"),
])
def test_language_choice(text, stored, given, hint, expected) -> None:  # noqa: ANN001
    inbound = message(text, language=given, language_hint=hint)
    assert choose_language(inbound, Client(language=stored), TRAITS) == expected


@pytest.mark.parametrize(("stored", "given", "expected"), [
    (None, None, "formal"), ("friendly", None, "friendly"), (None, "friendly", "friendly"),
    ("formal", "friendly", "formal"),
])
def test_tone_choice(stored, given, expected) -> None:  # noqa: ANN001
    assert ask(client=Client(tone=stored), tone=given).tone == expected


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2030, 6, 1), max_value=datetime(2030, 7, 31)),
       st.lists(st.sampled_from(["off", "urgent", "outside_hours", "advance_notice"]), max_size=5))
def test_a_client_is_never_answered_twice_in_one_window(naive: datetime, kinds: list[str]) -> None:
    at = naive.replace(tzinfo=RIYADH)
    history = [PastReply(at=at - timedelta(hours=i + 1), situation=k,
                         window_id="eid" if k != "outside_hours" else None)
               for i, k in enumerate(kinds)]
    verdict = ask(at=at, history=history, text="hello")
    if verdict.replies and verdict.window is not None:
        assert not any(r.window_id == verdict.window.id and r.situation == verdict.situation
                       for r in history)
    assert verdict.reply_by >= at
