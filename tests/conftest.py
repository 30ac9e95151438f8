"""Shared fixtures. Database tests run on a throwaway database per test run: an SQLite
file in a temp dir by default, or a fresh PostgreSQL database on the server named by
``IJAZA_TEST_DATABASE_URL``. Every database test is marked ``db`` automatically."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import Base, make_engine, make_session_factory

# CI explores the same examples every run (a red CI must be reproducible); a developer's
# run explores new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

DB_FIXTURES = {"db_url", "engine", "sessions", "app", "client", "admin_key", "owner", "owner_key"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots: the README's pictures in
    docs/screenshots with IJAZA_UPDATE_SCREENSHOTS=1, else a temporary folder, so that a
    test run leaves the checkout as it found it (the pictures carry the day's date)."""
    if os.environ.get("IJAZA_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("IJAZA_TEST_DATABASE_URL")
    if not server:
        path: Path = tmp_path_factory.mktemp("db") / "ijaza-test.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    server = server.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"ijaza_test_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    from app.migrate import upgrade

    upgrade(url)


@pytest.fixture(scope="session")
def engine(db_url: str):  # noqa: ANN201
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):  # noqa: ANN001, ANN201
    yield make_session_factory(engine)
    _truncate(engine)


def _truncate(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(db_url: str):  # noqa: ANN201
    from app.settings import Settings

    return Settings(env="test", database_url=db_url, secret_key="test-secret-key-0123456789",
                    public_base_url="https://ijaza.example.com", log_json=True,
                    allow_private_targets=True)


@pytest.fixture
def app(settings, sessions):  # noqa: ANN001, ANN201
    from app.main import create_app

    application = create_app(settings, background=False)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin_key(sessions) -> str:  # noqa: ANN001
    from app.db import session_scope
    from app.keys.service import create_key

    with session_scope(sessions) as session:
        return create_key(session, admin=True, owner_id=None).key


@pytest.fixture
def admin(admin_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_key}"}


OWNER_BODY = {
    "id": "nakhla",
    "name": "Nakhla Studio",
    "timezone": "Asia/Riyadh",
    "country": "SA",
    "languages": ["ar", "en"],
    "tone": "formal",
    "working_hours": {d: ["09:00-13:00", "16:00-20:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
    "response_time": "PT4H",
    "urgent_contact": "Omar +966500000000",
}


@pytest.fixture
def owner(client, admin) -> dict:  # noqa: ANN001
    response = client.post("/v1/owners", json=OWNER_BODY, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def owner_key(sessions, owner) -> str:  # noqa: ANN001
    from app.db import session_scope
    from app.keys.service import create_key

    with session_scope(sessions) as session:
        return create_key(session, admin=False, owner_id=owner["id"]).key
