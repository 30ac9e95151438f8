"""RFC 3834 for an automatic responder: which incoming mail must not be answered.

``should_not_reply`` returns the SPEC's suppression reason, or None when a reply is fine:

- ``auto_submitted``: ``Auto-Submitted`` other than ``no``; ``X-Autoreply`` /
  ``X-Autorespond`` / ``X-Auto-Response-Suppress`` (All, OOF, AutoReply); an empty return
  path; MAILER-DAEMON, postmaster or no-reply senders; delivery reports (DSN) and
  read receipts (MDN);
- ``bulk``: ``Precedence: bulk`` or ``junk``;
- ``list``: ``Precedence: list`` or any ``List-*`` header;
- ``own_message``: mail from one of the owner's own addresses;
- ``not_addressed``: none of the owner's addresses is in To or Cc (only checked when the
  owner's addresses are known).

Header names are expected lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.utils import getaddresses, parseaddr

_NO_REPLY = re.compile(r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|"
                       r"bounces?|listserv|majordomo)([+\-_.].*)?@", re.IGNORECASE)
_SUPPRESS_VALUES = {"all", "oof", "autoreply"}


def address_of(value: str | None) -> str:
    """The bare, lower-cased address in a header value or envelope path ('' if none)."""
    if not value:
        return ""
    return parseaddr(value.strip())[1].strip().lower()


def addresses_in(values: Iterable[str]) -> list[str]:
    return [addr.lower() for _name, addr in getaddresses(list(values)) if addr]


def should_not_reply(headers: Mapping[str, str], envelope_sender: str | None,
                     recipients_to_cc: Iterable[str], owner_addresses: Iterable[str]) -> str | None:
    """The reason not to answer this mail automatically, or None (see the module doc)."""
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto_submitted"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "auto_submitted"
    suppress = {v.strip().lower() for v in headers.get("x-auto-response-suppress", "").split(",")}
    if suppress & _SUPPRESS_VALUES:
        return "auto_submitted"
    content_type = headers.get("content-type", "").lower()
    if "multipart/report" in content_type and ("delivery-status" in content_type
                                               or "disposition-notification" in content_type):
        return "auto_submitted"
    if envelope_sender is not None:
        sender = envelope_sender.strip()
        if sender in ("", "<>") or not address_of(sender):
            return "auto_submitted"
        if _NO_REPLY.match(address_of(sender)):
            return "auto_submitted"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk"):
        return "bulk"
    if precedence == "list" or any(name.startswith("list-") for name in headers):
        return "list"
    own = {a.lower() for a in owner_addresses if a}
    if own:
        sender = address_of(envelope_sender) or address_of(headers.get("from"))
        if sender in own or address_of(headers.get("from")) in own:
            return "own_message"
        named = set(addresses_in(recipients_to_cc)) | set(
            addresses_in([headers.get("to", ""), headers.get("cc", "")]))
        if not named & own:
            return "not_addressed"
    return None
