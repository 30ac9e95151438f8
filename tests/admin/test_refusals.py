"""A refused form says why in the console's language: the domain names its reason by a code
(``Refusal``), the console says it in its own words, and the API keeps its English sentence."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.admin.web import refusal_text
from app.admin.words import REFUSALS
from app.connections import service
from app.domain import hours, rules
from app.domain.refusal import Refusal, found_in
from app.domain.text import FSI, PDI
from app.errors import Invalid
from tests.admin.conftest import ORIGIN, form_token

APP = Path(__file__).resolve().parents[2] / "app"
START = date.today() + timedelta(days=40)
HOURS = {"day_sun": "09:00-17:00", "response_time": "PT4H", "timezone": "Asia/Riyadh",
         "country": "SA", "language_1": "ar", "tone": "friendly", "name": "Studio"}
RULE = {"occasion": "eid_al_fitr", "kind": "off", "span_type": "holiday", "notice_days": "7"}
TEMPLATE = {"situation": "off", "language": "ar", "tone": "formal", "action": "save"}
LEAVE = {"kind": "off", "start_date": START.isoformat(), "start_time": "09:00",
         "end_date": START.isoformat(), "end_time": "17:00"}


def _i(value: str) -> str:
    return f"{FSI}{value}{PDI}"


# (code, page, what is typed, what the Arabic and the English console say)
CASES = [
    ("not_time", "hours", {**HOURS, "day_sun": "9-5"},
     f"الأحد: «{_i('9')}» ليس وقتًا صحيحًا", f"Sunday: '{_i('9')}' is not a time"),
    ("not_interval", "hours", {**HOURS, "day_tue": "0900"},
     f"الثلاثاء: «{_i('0900')}» ليست فترة", f"Tuesday: '{_i('0900')}' is not a time range"),
    ("starts_at_midnight", "hours", {**HOURS, "day_wed": "24:00-02:00"},
     "لا تبدأ عند 24:00", "cannot start at 24:00"),
    ("empty_interval", "hours", {**HOURS, "day_thu": "09:00-09:00"},
     f"الخميس: «{_i('09:00-09:00')}» فترة فارغة", "Thursday: '" + _i("09:00-09:00") + "' is empty"),
    ("hours_overlap", "hours", {**HOURS, "day_mon": "09:00-12:00, 11:00-14:00"},
     f"فترتان متداخلتان: الاثنين {_i('09:00-12:00')} والاثنين {_i('11:00-14:00')}",
     f"two time ranges overlap: Monday {_i('09:00-12:00')} and Monday {_i('11:00-14:00')}"),
    ("not_timezone", "hours", {**HOURS, "timezone": "Mars/Olympus"},
     f"«{_i('Mars/Olympus')}» ليست منطقة زمنية معروفة", "is not a known timezone"),
    ("time_range", "occasions", {**RULE, "kind": "reduced", "reply_slots": "8-9"},
     f"«{_i('8-9')}» ليست فترة؛ اكتبها هكذا: 20:00-21:00", "is not a time range; write it like 20:00"),
    ("same_time", "occasions", {**RULE, "kind": "reduced", "reply_slots": "20:00-20:00"},
     "تبدأ وتنتهي في الوقت نفسه", "starts and ends at the same time"),
    ("off_has_no_slots", "occasions", {**RULE, "reply_slots": "20:00-21:00"},
     "لا ردود في الإجازة الكاملة", "A day off has no replies"),
    ("whole_days", "occasions", {**RULE, "span_type": "days", "before": "abc"},
     "قبل: عدد صحيح من الأيام بين 0 و", "Before: a whole number of days from 0 to"),
    ("hijri_month_day", "occasions", {**RULE, "span_type": "hijri", "hijri_start": "9-27",
                                      "hijri_end": "10-03"},
     f"البداية: «{_i('9-27')}» ليس شهرًا ويومًا هجريين", "Start: '" + _i("9-27") + "' is not a Hijri"),
    ("span_outside_month", "occasions", {**RULE, "span_type": "hijri", "hijri_start": "09-01",
                                         "hijri_end": "09-05"},
     "النطاق الهجري لمناسبة عيد الفطر يشمل يومًا من شوال", "A Hijri range for Eid al-Fitr takes in at "
                                                     "least one day of Shawwal"),
    ("ends_before_start", "leave", {**LEAVE, "end_time": "08:00"},
     "النهاية تأتي بعد البداية", "The end comes after the start"),
    ("window_too_long", "leave", {**LEAVE, "end_date": (START + timedelta(days=500)).isoformat()},
     "لا تزيد الإجازة على 400 يوم", "Leave lasts at most 400 days"),
    ("date_and_time", "leave", {**LEAVE, "start_date": "soon"},
     "البداية</strong>: اختر تاريخًا ووقتًا", "Start</strong>: Choose a date and a time"),
    ("channel_needs", "channels", {"platform": "telegram", "mode": "send",
                                   "s_secret_token": "a-long-enough-secret-token"},
     f"تحتاج هذه القناة إلى: {_i('bot_token')}", f"This channel needs: {_i('bot_token')}"),
    ("unknown_variable", "replies", {**TEMPLATE, "source": "أهلاً {{ contact_nam }}"},
     f"لا يوجد متغير باسم {_i('contact_nam')} (السطر 1)",
     f"There is no variable called {_i('contact_nam')} (line 1)"),
    ("template_syntax", "replies", {**TEMPLATE, "source": "أهلاً\n{{ contact_name }"},
     "خطأ في صياغة القالب في السطر 2: ", "Syntax error on line 2: "),
    ("template_too_long", "replies", {**TEMPLATE, "source": "ع" * 4001},
     "القالب أطول من 4000 حرف", "A template is at most 4000 characters"),
    ("template_empty", "replies", {**TEMPLATE, "source": "  "},
     "القالب لا يكون فارغًا", "A template cannot be empty"),
    ("not_http_url", "channels", {"platform": "generic", "mode": "send",
                                  "s_signing_secret": "a-long-enough-signing-secret",
                                  "s_callback_url": "ftp://files.example.com/in"},
     "callback_url: اكتب عنوانًا يبدأ بـ https:// أو http://",
     "callback_url: Write an address starting with https://"),
    ("pydantic_string_too_long", "leave", {**LEAVE, "title_ar": "ع" * 201},
     "أطول مما يُسمح به (الحد 200)", "Longer than allowed (at most 200)"),
    ("pydantic_int_parsing", "occasions", {**RULE, "notice_days": "soon"},
     "اكتب عددًا صحيحًا", "Write a whole number"),
    ("pydantic_less_than_equal", "occasions", {**RULE, "notice_days": "200"},
     "لا يزيد على 90", "At most 90"),
    ("pydantic_greater_than_equal", "occasions", {**RULE, "notice_days": "-1"},
     "لا يقل عن 0", "At least 0"),
    ("pydantic_literal_error", "leave", {**LEAVE, "kind": "holiday"},
     "اختر من القائمة", "Choose one from the list"),
]


def _state(client, admin, owner_id: str) -> list:  # noqa: ANN001
    """What a refused form must leave as it was: the owner, its windows, rules, a template."""
    base = f"/v1/owners/{owner_id}"
    return [client.get(base + tail, headers=admin).json() for tail in
            ("", "/windows", "/rules", "/channels", "/templates/off/ar/formal")]


def _alert(client, path: str, data: dict, language: str) -> tuple[int, str]:  # noqa: ANN001
    page = client.get(f"{path}?lang={language}")
    response = client.post(path, data={"csrf": form_token(page.text), **data},
                           headers={"Origin": ORIGIN})
    found = re.search(r'role="alert">(.*?)</div>', response.text, re.S)
    return response.status_code, html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize(("code", "page", "typed", "arabic", "english"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_refused_form_says_why_in_the_console_s_language(signed_in, client, admin, owner,
                                                           code, page, typed, arabic,
                                                           english) -> None:  # noqa: ANN001
    path = f"/admin/owners/{owner['id']}/{page}"
    before = _state(client, admin, owner["id"])
    status, said = _alert(signed_in, path, typed, "ar")
    assert status == 422, said
    assert arabic in said
    # No English sentence of the domain's or pydantic's is left in the Arabic page.
    # (A syntax error's detail is the template parser's own words.)
    assert code == "template_syntax" or not re.search(r"[A-Za-z]{3,} [a-z]{2,} [a-z]{2,}",
                                                      said), said
    status, said = _alert(signed_in, path, typed, "en")
    assert status == 422 and english in said, said
    assert _state(client, admin, owner["id"]) == before


def test_a_second_rule_for_an_occasion_is_refused_by_name(signed_in, owner) -> None:  # noqa: ANN001
    path = f"/admin/owners/{owner['id']}/occasions"
    assert _alert(signed_in, path, RULE, "ar")[0] == 303
    status, said = _alert(signed_in, path, RULE, "ar")
    assert status == 409 and "لديك من قبل قاعدة لمناسبة عيد الفطر" in said


def test_the_api_keeps_its_english_sentence(client, admin, owner) -> None:  # noqa: ANN001
    response = client.patch(f"/v1/owners/{owner['id']}", headers=admin,
                            json={"working_hours": {"sun": ["9-5"]}})
    assert response.status_code == 422
    assert "sun: '9' is not a time of day HH:MM (00:00–24:00)" in response.text


def test_every_refusal_the_code_raises_has_words_and_a_test() -> None:
    raised = set()
    for source in APP.rglob("*.py"):
        raised |= set(re.findall(r'Refusal\(\s*"(\w+)"', source.read_text(encoding="utf-8")))
    assert raised, "no refusal found: the pattern no longer matches the code"
    assert set(REFUSALS["ar"]) == set(REFUSALS["en"])
    assert raised <= set(REFUSALS["ar"]), raised - set(REFUSALS["ar"])
    tested = {c[0] for c in CASES} | {"second_rule", "private_target"}
    assert set(REFUSALS["ar"]) == tested, set(REFUSALS["ar"]) ^ tested


def test_a_refusal_is_a_value_error_with_the_api_s_sentence() -> None:
    with pytest.raises(Refusal) as caught:
        hours.parse_daily_interval("10:00-10:00", "fri")
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "fri: '10:00-10:00' is empty (its end equals its start)"
    assert (caught.value.code, caught.value.params) == (
        "empty_interval", {"where": "fri", "value": "10:00-10:00"})
    with pytest.raises(Refusal) as caught:
        rules.rule_from_dict({"occasion": "eid_al_fitr", "kind": "off", "notice_days": 400})
    assert str(caught.value) == "notice_days: a whole number of days from 0 to 365, got 400"


def test_the_refusal_behind_a_wrapped_error_is_found() -> None:
    refusal = Refusal("ends_before_start", "starts_at must be before ends_at")
    try:
        try:
            raise refusal
        except Refusal as exc:
            raise LookupError("wrapped") from exc
    except LookupError as outer:
        assert found_in(outer) is refusal
    assert found_in(ValueError("plain")) is None


def test_a_private_target_is_refused_in_words() -> None:
    with pytest.raises(Invalid) as caught:
        service._check("generic", "send", {"signing_secret": "s" * 24,
                                           "callback_url": "http://10.1.2.3/hook"},
                       allow_private=False)
    assert "only public internet hosts can be reached" in str(caught.value)
    said = refusal_text(found_in(caught.value), "ar")
    assert said == (f"{_i('callback_url')} يشير إلى عنوان داخلي، وإجازة لا تتصل إلا بمضيفات "
                    "الإنترنت العامة.")


def test_words_that_name_a_missing_part_fall_back_to_the_api_s_sentence() -> None:
    refusal = Refusal("whole_days", "notice_days: a whole number, got {value}", value="x")
    assert refusal_text(refusal, "ar") == "notice_days: a whole number, got x"  # no {most}


def test_hours_typed_on_an_arabic_keyboard_are_read(signed_in, client, admin, owner) -> None:  # noqa: ANN001
    path = f"/admin/owners/{owner['id']}/hours"
    page = signed_in.get(f"{path}?lang=ar")
    saved = signed_in.post(path, data={"csrf": form_token(page.text), **HOURS,
                                       "day_sun": "٩:٠٠–١٣:٠٠، ١٦:٠٠-٢٠:٠٠",
                                       "day_mon": "9.30-17.00"},
                           headers={"Origin": ORIGIN})
    assert saved.status_code == 303, saved.text
    stored = client.get(f"/v1/owners/{owner['id']}", headers=admin).json()["working_hours"]
    assert stored["sun"] == ["09:00-13:00", "16:00-20:00"]
    assert stored["mon"] == ["09:30-17:00"]
