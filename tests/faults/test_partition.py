"""A database partition: PostgreSQL behind a small TCP proxy that starts dropping every
packet (not refusing: the connection stays open and nothing answers). Requests must fail
fast with 503 + Retry-After, /readyz within 2 s, and intake recover by itself."""

from __future__ import annotations

import select
import socket
import threading
import time

import pytest
from sqlalchemy.engine import make_url


class DroppingProxy:
    """Forwards TCP to ``target`` until ``drop()``; then reads and discards both ways."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.dropping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        peers = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select(list(peers), [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if not self.dropping.is_set():
                        peers[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:  # noqa: D102
        self._stop.set()
        self.listener.close()


def test_an_unreachable_postgresql_gives_fast_503s_and_recovers(db_url, settings, sessions,  # noqa: ANN001
                                                                admin) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL partition: runs in the PostgreSQL variant "
                    "(IJAZA_TEST_DATABASE_URL); SQLite is a file, not a network")
    from fastapi.testclient import TestClient

    from app.main import create_app

    url = make_url(db_url)
    proxy = DroppingProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(settings.model_copy(update={
        "database_url": proxied, "database_connect_timeout_seconds": 2.0,
        "database_statement_timeout_seconds": 3.0}), background=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/readyz").status_code == 200
            assert client.get("/v1/owners", headers=admin).status_code == 200
            proxy.dropping.set()

            started = time.monotonic()
            ready = client.get("/readyz")
            assert time.monotonic() - started < 2.0
            assert _unavailable(ready)

            started = time.monotonic()
            response = client.get("/v1/owners/nobody", headers=admin)
            assert time.monotonic() - started < 10.0
            assert _unavailable(response)

            proxy.dropping.clear()
            deadline = time.monotonic() + 15
            while client.get("/readyz").status_code != 200:  # recovers without a restart
                assert time.monotonic() < deadline
            assert client.get("/v1/owners", headers=admin).status_code == 200
    finally:
        app.state.engine.dispose()
        proxy.close()


def _unavailable(response) -> bool:  # noqa: ANN001
    return (response.status_code == 503 and bool(response.headers.get("retry-after"))
            and response.headers["content-type"].startswith("application/problem+json"))
