"""The back-from-leave digest: in the owner's language and timezone, urgent clients first,
and each client's urgent message before their last one."""

from __future__ import annotations

LEAVE = {"kind": "off", "starts_at": "2030-07-01T00:00:00+03:00",
         "ends_at": "2030-07-08T00:00:00+03:00", "title": {"ar": "إجازة الصيف", "en": "Summer leave"}}


def test_the_digest_reads_in_the_owners_language_and_time(client, admin, owner) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}"
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    for address, text, at in (
            ("calm@example.org", "مرحبا", "2030-07-03T10:00:00+03:00"),
            ("panic@example.org", "عاجل: الموقع متوقف", "2030-07-03T08:15:00+00:00"),
            ("panic@example.org", "شكرا، انتظر ردك", "2030-07-04T12:00:00+03:00")):
        assert client.post(f"{base}/evaluate", headers=admin, json={
            "contact": {"address": address}, "text": text, "received_at": at}).status_code == 200
    body = client.get(f"{base}/digest", params={"window": window["id"]}, headers=admin).json()
    lines = body["text"].split("\n")
    assert lines[0].startswith("أهلًا بعودتك!") and "إجازة الصيف" in lines[0]  # owner: ar first
    assert "عميلان" in lines[0]
    urgent, calm = lines[1], lines[2]
    assert "عاجل — " in urgent and "panic@example.org" in urgent
    # the urgent message first, then the last one
    assert urgent.index("الموقع متوقف") < urgent.index("انتظر ردك")
    assert body["entries"][0]["urgent_text"] == "عاجل: الموقع متوقف"
    # times in the owner's zone: the last message was 12:00 Riyadh time on Thursday 4 July
    assert "الخميس 4 يوليو، 12:00 م" in urgent
    assert "calm@example.org" in calm and "عاجل" not in calm.split("(")[0]


def test_an_english_owner_gets_an_english_digest(client, admin, owner) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}"
    assert client.patch(base, headers=admin, json={"languages": ["en", "ar"],
                                                   "timezone": "Africa/Cairo"}).status_code == 200
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    client.post(f"{base}/evaluate", headers=admin, json={
        "contact": {"address": "a@example.org", "name": "أمينة"}, "text": "urgent please",
        "received_at": "2030-07-03T09:00:00+00:00"})
    text = client.get(f"{base}/digest", params={"window": window["id"]},
                      headers=admin).json()["text"]
    assert text.startswith("Welcome back! While you were away (Summer leave), 1 client wrote:")
    assert "URGENT — \u2068أمينة\u2069" in text  # an Arabic name isolated in English text
    assert "Wednesday 3 July, 12:00 PM" in text  # 09:00 UTC is noon in Cairo (summer time)
    assert "(API, 1 message, last: " in text


def test_the_arabic_digest_counts_as_arabic_does_and_says_where_each_client_wrote(
        client, admin, owner) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}"
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    for n in range(11):
        assert client.post(f"{base}/evaluate", headers=admin, json={
            "channel": "whatsapp", "contact": {"address": "+966500000011", "name": "سارة"},
            "text": f"مرحبا {n}", "received_at": f"2030-07-02T{10 + n:02d}:00:00+03:00",
        }).status_code == 200
    for address in ("+966500000012", "+966500000012"):
        client.post(f"{base}/evaluate", headers=admin, json={
            "channel": "telegram", "contact": {"address": address}, "text": "أهلاً",
            "received_at": "2030-07-05T09:00:00+03:00"})
    text = client.get(f"{base}/digest", params={"window": window["id"]},
                      headers=admin).json()["text"]
    first, sara, other = text.split("\n")
    assert first == "أهلًا بعودتك! راسلك عميلان خلال إجازة الصيف:"
    # 11 messages: the singular after eleven; 2: the dual; Arabic commas between the parts
    assert "(\u2066WhatsApp\u2069، 11 رسالة، آخر رسالة: " in sara
    assert "(\u2066Telegram\u2069، رسالتان، آخر رسالة: " in other


def test_a_digest_with_nobody_in_it_says_so_in_one_line(client, admin, owner) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}"
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    text = client.get(f"{base}/digest", params={"window": window["id"]},
                      headers=admin).json()["text"]
    assert text == "أهلًا بعودتك! لم يراسلك أحد خلال إجازة الصيف. بداية موفقة!"


def test_the_counts_follow_each_language_s_plural_rules() -> None:
    from app.notices.service import _DIGEST, _counted

    said = {n: _counted(n, "ar", _DIGEST["ar"]["messages"]) for n in (1, 2, 3, 10, 11, 99, 100,
                                                                        103, 111)}
    assert said == {1: "رسالة واحدة", 2: "رسالتان", 3: "3 رسائل", 10: "10 رسائل",
                    11: "11 رسالة", 99: "99 رسالة", 100: "100 رسالة", 103: "103 رسائل",
                    111: "111 رسالة"}
    assert [_counted(n, "en", _DIGEST["en"]["clients"]) for n in (1, 2, 12)] == [
        "1 client", "2 clients", "12 clients"]
