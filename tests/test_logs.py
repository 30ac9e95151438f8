"""Every log line is JSON (ours and the libraries'), and none carries a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from app import logs

TELEGRAM = "HTTP Request: POST https://api.telegram.org/bot123456:ABC-secret/sendMessage " \
           '"HTTP/1.1 200 OK"'


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET}
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)
    structlog.configure(**config)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    err = capsys.readouterr().err
    return [json.loads(line) for line in err.splitlines()]  # fails on any non-JSON line


def test_httpx_request_lines_are_json_without_the_bot_token(capsys) -> None:  # noqa: ANN001
    logs.configure("DEBUG", json=True)
    logging.getLogger("httpx").info(TELEGRAM)
    [line] = _lines(capsys)
    assert line["logger"] == "httpx" and line["level"] == "info"
    assert "ABC-secret" not in json.dumps(line)
    assert line["event"].startswith("HTTP Request: POST https://api.telegram.org/bot***/sendMessage")


def test_httpx_is_quiet_below_debug_but_still_warns(capsys) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    logging.getLogger("httpx").info(TELEGRAM)
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("httpx").warning("retrying %s", "https://api.telegram.org/bot1:ABC-secret/x")
    [line] = _lines(capsys)
    assert line["level"] == "warning" and "ABC-secret" not in line["event"]


@pytest.mark.parametrize("name", ["apscheduler.scheduler", "apscheduler.executors.default",
                                  "uvicorn.error", "uvicorn.access", "uvicorn"])
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_library_lines_are_json_and_redacted(capsys, name: str, level: str) -> None:  # noqa: ANN001
    logs.configure(level, json=True)
    logging.getLogger(name).warning('%s - "GET /hooks/x?access_token=EAAG-secret HTTP/1.1" %d',
                                    "127.0.0.1:5555", 200)
    [line] = _lines(capsys)
    assert line["logger"] == name and "timestamp" in line and line["level"] == "warning"
    assert "EAAG-secret" not in line["event"] and "access_token=***" in line["event"]


@pytest.mark.parametrize("name", ["apscheduler.scheduler", "apscheduler.executors.default",
                                  "uvicorn.access"])
def test_routine_library_lines_are_quiet_below_debug(capsys, name: str) -> None:  # noqa: ANN001
    """APScheduler's two lines per job run and uvicorn's access line (the app logs each
    request itself) only at DEBUG; their warnings always."""
    logs.configure("INFO", json=True)
    logging.getLogger(name).info('Running job "relay" (trigger: interval[0:00:01])')
    logging.getLogger(name).warning("Run time of job was missed by 0:00:03")
    assert [line["level"] for line in _lines(capsys)] == ["warning"]
    logs.configure("DEBUG", json=True)
    logging.getLogger(name).info('Running job "relay" (trigger: interval[0:00:01])')
    [line] = _lines(capsys)
    assert line["logger"] == name and line["level"] == "info"


def test_uvicorn_s_own_lines_stay_at_info(capsys) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
    [line] = _lines(capsys)
    assert line["logger"] == "uvicorn.error" and line["level"] == "info"


def test_a_traceback_is_redacted_too(capsys) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    try:
        raise RuntimeError("Client error '401' for url 'https://api.telegram.org/bot9:ABC-secret/getMe'")
    except RuntimeError:
        logging.getLogger("apscheduler.executors.default").exception("Job raised")
    [line] = _lines(capsys)
    assert "RuntimeError" in line["exception"] and "ABC-secret" not in line["exception"]


@pytest.mark.parametrize(("text", "secret"), [
    ("Authorization: Bearer ijz_AbCdEf0123456789", "AbCdEf0123456789"),
    ("headers={'authorization': 'Token sk-live-42'}", "sk-live-42"),
    ("POST https://graph.facebook.com/v19.0/1/messages?token=EAAG42&x=1", "EAAG42"),
    ("postgresql+psycopg://ijaza:hunter2@db/ijaza", "hunter2"),
    ("slack said invalid_auth for xoxb-1234-5678-abcdef", "5678-abcdef"),
])
def test_our_own_lines_are_redacted_in_the_message_and_the_values(capsys, text: str,
                                                                  secret: str) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    logs.log.warning(text, error=text)
    [line] = _lines(capsys)
    assert line["event"] == line["error"] != text and secret not in json.dumps(line)


def test_secret_keys_are_masked_whatever_their_value(capsys) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    logs.log.info("channel", bot_token="plain-value", name="ok")
    [line] = _lines(capsys)
    assert line["bot_token"] == "***" and line["name"] == "ok"


def test_text_logs_are_redacted_as_well(capsys) -> None:  # noqa: ANN001
    logs.configure("DEBUG", json=False)
    logging.getLogger("httpx").info(TELEGRAM)
    err = capsys.readouterr().err
    assert "sendMessage" in err and "ABC-secret" not in err


def test_a_malformed_library_call_does_not_raise(capsys) -> None:  # noqa: ANN001
    logs.configure("INFO", json=True)
    logging.getLogger("apscheduler").warning("%s and %s", "only one")  # must not raise here
    assert "--- Logging error ---" in capsys.readouterr().err  # logging's own report
