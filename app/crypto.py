"""Channel secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
``IJAZA_SECRET_KEY``. Rotation: set ``IJAZA_PREVIOUS_SECRET_KEYS`` (comma-separated) to the
old key(s) while ``ijaza rotate-secrets`` re-encrypts every row with the new one."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


class SecretBox:
    def __init__(self, secret_key: str, previous: list[str] | None = None) -> None:
        if previous is None:
            previous = [k for k in os.environ.get("IJAZA_PREVIOUS_SECRET_KEYS", "").split(",") if k]
        self._box = MultiFernet([_fernet(secret_key), *(_fernet(k) for k in previous)])

    def seal(self, values: dict[str, Any]) -> str:
        return self._box.encrypt(json.dumps(values).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._box.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("channel secrets cannot be decrypted with IJAZA_SECRET_KEY") from exc

    def rotate(self, token: str) -> str:
        return self._box.rotate(token.encode()).decode()
