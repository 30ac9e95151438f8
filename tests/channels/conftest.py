from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

from app.channels.base import RawRequest

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
if not SAMPLES.exists():  # a clone with shared/ beside it
    SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


@dataclass
class Sample:
    body: bytes
    headers: dict[str, str]
    comments: list[str]

    def request(self, *, url: str = "https://ijaza.example.com/hooks/ch_test", method: str = "POST",
                query: str = "", at: datetime | None = None, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> RawRequest:
        return RawRequest(method=method, url=url + (f"?{query}" if query else ""),
                          headers=headers if headers is not None else dict(self.headers),
                          query=dict(parse_qsl(query)), body=self.body if body is None else body,
                          received_at=at or datetime(2026, 5, 27, 8, 0, tzinfo=UTC))


def sample(name: str) -> Sample:
    """A payload file and its sibling .headers file (names lower-cased, # lines kept apart)."""
    payload = next(p for p in SAMPLES.glob(f"{name}.*") if not p.name.endswith(".headers"))
    headers: dict[str, str] = {}
    comments: list[str] = []
    for line in (SAMPLES / f"{name}.headers").read_text().splitlines():
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    return Sample(body=payload.read_bytes(), headers=headers, comments=comments)


def frozen(ts: int):  # noqa: ANN201
    return lambda: datetime.fromtimestamp(ts, UTC)
