"""Loading the platform samples (``tests/fixtures/platforms``): the payload bytes exactly
as stored, the headers from the sibling ``.headers`` file (names lower-cased; ``#`` lines are comments such as the request
line or the signed URL), and a ``RawRequest`` built from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

from app.channels.base import RawRequest

# Inside the checkout, byte for byte as the platforms document them (tests/fixtures/README.md).
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
HOOK_URL = "https://ijaza.example.com/hooks/ch_test"
SAMPLE_TS = 1779868800  # 2026-05-27T08:00:00Z, the samples' signing time


@dataclass
class Sample:
    body: bytes
    headers: dict[str, str]
    comments: list[str]

    def request(self, *, url: str = HOOK_URL, method: str = "POST", query: str = "",
                at: datetime | None = None, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> RawRequest:
        """A RawRequest of this sample, with any part replaced."""
        return RawRequest(method=method, url=url + (f"?{query}" if query else ""),
                          headers=headers if headers is not None else dict(self.headers),
                          query=dict(parse_qsl(query, keep_blank_values=True)),
                          body=self.body if body is None else body,
                          received_at=at or datetime.fromtimestamp(SAMPLE_TS, UTC))

    def comment_value(self, prefix: str) -> str:
        """The rest of the first comment line that starts with ``prefix``."""
        for line in self.comments:
            if line.lower().startswith(prefix.lower()):
                return line[len(prefix):].strip()
        raise KeyError(prefix)


def load_sample(name: str) -> Sample:
    """A payload file (any extension) and its sibling .headers file."""
    payload = next(p for p in sorted(SAMPLES.glob(f"{name}.*"))
                   if p.name != f"{name}.headers" and p.name.removeprefix(name + ".").count(".") == 0)
    headers: dict[str, str] = {}
    comments: list[str] = []
    for line in (SAMPLES / f"{name}.headers").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    return Sample(body=payload.read_bytes(), headers=headers, comments=comments)


sample = load_sample  # short alias used by the tests


def frozen(ts: float) -> Callable[[], datetime]:
    """A clock stopped at unix time ``ts``."""
    return lambda: datetime.fromtimestamp(ts, UTC)


def all_sample_names() -> list[str]:
    """Every sample that has a payload and a .headers file."""
    return sorted(p.name.removesuffix(".headers") for p in SAMPLES.glob("*.headers"))
