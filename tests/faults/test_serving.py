"""The server ``ijaza serve`` runs (uvicorn + httptools, bounded): a request head past the
bound is answered 431 and the connection closed before the head is buffered."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from app.serving import BoundedHttpTools
from tests.fakes import free_port


@pytest.fixture
def server(app):  # noqa: ANN001, ANN201
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=BoundedHttpTools,
                            log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield port
    instance.should_exit = True
    thread.join(10)


def _talk(port: int, head: bytes, chunk: int = 65536) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sent = 0
        try:
            while sent < len(head):
                sock.sendall(head[sent:sent + chunk])
                sent += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after its answer
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
        except ConnectionResetError:
            pass
        return answer


def test_a_huge_header_is_431_before_it_is_buffered(server: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\n"
    answer = _talk(server, head)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"application/problem+json" in answer


def test_an_ordinary_request_and_a_keep_alive_second_one_are_served(server: int) -> None:
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Some: " + b"a" * 8000 + b"\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = _talk(server, one + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer[:300]


def test_a_post_with_a_body_in_the_same_packet_is_not_mistaken_for_a_long_head(server: int,
                                                                               admin) -> None:
    body = b'{"id": "x"}' + b" " * 200_000
    head = (b"POST /v1/owners HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n"
            + f"Authorization: {admin['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    answer = _talk(server, head + body, chunk=1 << 20)
    assert answer.startswith(b"HTTP/1.1 422 "), answer[:200]
