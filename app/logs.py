"""Structured logs (structlog): one JSON object per line when ``IJAZA_LOG_JSON`` is on, from
our own loggers and from the libraries' stdlib loggers alike (uvicorn, APScheduler, httpx).

Secrets never reach a log line: known secret-bearing keys are masked, secret-shaped text
(Telegram's ``/bot<token>/``, bearer tokens, ``token=`` query values, our own keys) is
redacted in every message, and request logging records only method, path and status.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

SECRET_KEYS = frozenset({
    "authorization", "key", "api_key", "token", "bot_token", "signing_secret", "app_secret",
    "access_token", "auth_token", "password", "smtp_password", "secret", "secrets",
    "verify_token", "secret_token", "signing_key", "basic_auth_password",
})

_REDACTIONS = [(re.compile(pattern, re.IGNORECASE), replacement) for pattern, replacement in (
    # Telegram puts the bot token in the path: https://api.telegram.org/bot<token>/sendMessage
    (r"/bot\d+:[\w-]+", "/bot***"),
    (r"(\bauthorization['\"]?\s*[:=]\s*['\"]?)[^'\",;\n]+", r"\1***"),  # the whole value
    (r"\b(bearer|basic)\s+[^\s'\",;]+", r"\1 ***"),
    (r"([?&](?:access_token|token|api_key|key|secret|password|signature|sig|client_secret"
     r"|hub\.verify_token)=)[^&\s#'\"]+", r"\1***"),
    (r"(://[^/\s:@]+:)[^@\s/]+@", r"\1***@"),  # user:password@ in a URL
    (r"\b(ijz_|xox[abposr]-)[\w-]{6,}", r"\1***"),  # our API keys, Slack tokens
)]
# Most lines hold nothing to redact: one search decides whether to run the substitutions.
_SUSPECT = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _REDACTIONS), re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every secret-shaped part masked."""
    if _SUSPECT.search(text) is None:
        return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _mask_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key, value in event.items():
        if key.lower() in SECRET_KEYS:
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = redact(value)
    return event


class RedactingFilter(logging.Filter):
    """Redacts a stdlib record's message before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the formatter reports it, the caller goes on
            return True
        clean = redact(message)
        if clean is not message:
            record.msg, record.args = clean, None
        return True


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (test runners swap it out and close it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


# Libraries that log routine work at INFO: httpx and httpcore every request URL,
# APScheduler two lines for every run of every job (the 1-second jobs alone made two lines
# a second, burying the demo's key and URL), uvicorn's access line what the app logs
# itself, with its request id. Their warnings and errors still come through.
QUIET = ("httpx", "httpcore", "apscheduler", "uvicorn.access")


def configure(level: str = "INFO", *, json: bool = True) -> None:
    """Route structlog and every stdlib logger to stderr through the same processors.

    The libraries' chatty loggers (``QUIET``) are quieted to WARNING unless ``level`` is
    DEBUG; their lines are redacted either way.
    """
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: Processor = (structlog.processors.JSONRenderer(ensure_ascii=False) if json
                     else structlog.dev.ConsoleRenderer())
    shared: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Our own lines skip the stdlib (a print per line is cheaper on the request path) ...
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *shared,
            structlog.processors.format_exc_info,
            _mask_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # PrintLoggerFactory is annotated TextIO; PrintLogger only writes and flushes.
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # ... and the libraries' lines are rendered the same way by the root handler.
    handler = logging.StreamHandler(_CurrentStderr())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_logger_name,
            *shared,
            structlog.processors.format_exc_info,
            _mask_secrets,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    logging.basicConfig(handlers=[handler], level=numeric, force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler"):
        # uvicorn (when started with its own log config) gives these handlers of their own
        # that write plain text, and levels: every line goes through the root handler, at
        # the root's level, instead.
        library = logging.getLogger(name)
        library.handlers.clear()
        library.setLevel(logging.NOTSET)
        library.propagate, library.disabled = True, False
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.NOTSET if numeric <= logging.DEBUG
                                         else logging.WARNING)


log = structlog.get_logger("ijaza")
