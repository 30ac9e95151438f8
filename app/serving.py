"""The HTTP protocol ``ijaza serve`` runs: uvicorn's httptools protocol with a bound on
the request line and headers. httptools keeps whatever header bytes arrive until the
header ends — eight requests with a 50 MB header took the server from 104 to 629 MB — so
the bytes are counted as they arrive and a request whose head passes the bound is
answered 431 and its connection closed, before it is buffered. (The app's own middleware
bounds each header too, for any server; uvicorn's h11 protocol is bounded by
``h11_max_incomplete_event_size``.)"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.middleware import MAX_HEADERS

_REFUSAL = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/problem+json\r\n"
            b"connection: close\r\n")
_BODY = (b'{"type":"about:blank","title":"Request Header Fields Too Large","status":431,'
         b'"detail":"The request line and headers are longer than the server accepts."}')


class BoundedHttpTools(HttpToolsProtocol):
    """httptools, refusing a request head longer than ``max_head`` bytes (431)."""

    max_head = MAX_HEADERS + 1024  # the request line and the headers' framing on top

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head: int | None = 0  # bytes of the current head; None once it is whole

    def data_received(self, data: bytes) -> None:
        if self._head is not None:
            end = data.find(b"\r\n\r\n")
            seen = self._head + (len(data) if end < 0 else end)
            if seen > self.max_head:
                self.transport.write(_REFUSAL + b"content-length: "
                                     + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)
                self.transport.close()
                return
            self._head = seen if end < 0 else None
        super().data_received(data)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head = 0  # the next request on this connection starts a new head
