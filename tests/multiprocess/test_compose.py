"""``docker-compose.yml`` without Docker: every service that builds the image is started
as a process on this machine, with the command and the environment the file and the
``Dockerfile`` give it, on a fresh PostgreSQL database — the migration first, then the API
replicas and the worker. (This machine has no Docker daemon and no registry to pull
``postgres:15`` from; what is checked is what the compose file says to run.)

Only the addresses differ from the containers': the database host ``db`` is this machine's
PostgreSQL, and each replica listens on 127.0.0.1 on a port of its own."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.multiprocess.conftest import ROOT, leader_pid, wait_for

SECRET = "compose-" + "k" * 32  # what an operator exports before `docker compose up`


def _dockerfile() -> tuple[list[str], dict[str, str]]:
    """The image's ENTRYPOINT and its ENV (the last stage's)."""
    source = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    entry = re.findall(r"^ENTRYPOINT\s+(\[.*\])$", source, re.M)
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", source, re.M):
        env.update(part.split("=", 1) for part in shlex.split(line))
    return yaml.safe_load(entry[-1]), env


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""
    def one(found: re.Match[str]) -> str:
        name, op, rest = found.group(1), found.group(2), found.group(3)
        if name in given:
            return given[name]
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {rest}")
        return rest or ""
    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("IJAZA_")}


@pytest.fixture
def fresh_database(db_url: str) -> Iterator[str]:
    """An empty PostgreSQL database on the test server (the compose file migrates it)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("docker-compose.yml runs PostgreSQL: runs in the PostgreSQL variant "
                    "(IJAZA_TEST_DATABASE_URL)")
    name = f"ijaza_compose_{secrets.token_hex(4)}"
    admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_compose_services_run_as_written(processes, fresh_database: str) -> None:  # noqa: ANN001
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    entrypoint, image_env = _dockerfile()
    assert entrypoint == ["ijaza"]  # the console script of pyproject.toml: app.cli's
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    built = {name: s for name, s in services.items() if s.get("build") == "."}
    assert set(built) == {"migrate", "api", "worker"}

    def environment(name: str) -> dict[str, str]:
        given = {"IJAZA_SECRET_KEY": SECRET}
        env = image_env | {k: _interpolate(str(v), given)
                           for k, v in built[name]["environment"].items()}
        url = make_url(env["IJAZA_DATABASE_URL"])
        # The same driver and the service name as its host: only the address is ours.
        assert (url.drivername, url.host) == ("postgresql+psycopg", "db")
        return env | {"IJAZA_DATABASE_URL": fresh_database, "IJAZA_HOST": "127.0.0.1"}

    # `migrate` runs to completion before anything else starts (service_completed_successfully).
    for name in ("api", "worker"):
        assert built[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
    migrate_env = environment("migrate")
    assert migrate_env["IJAZA_ENV"] == "production"  # as the image runs
    done = subprocess.run([sys.executable, "-m", "app.cli", *built["migrate"]["command"]],
                          env=_clean_environ() | migrate_env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

    replicas = built["api"]["deploy"]["replicas"]
    assert replicas == 2 and built["api"]["command"][0] == "serve"
    apis = [processes(f"api{n}", *built["api"]["command"], db_url=fresh_database,
                      env=environment("api")) for n in range(replicas)]
    workers = [processes(f"worker{n}", *built["worker"]["command"], db_url=fresh_database,
                         env=environment("worker"))
               for n in range(built["worker"]["deploy"]["replicas"])]
    # The API processes are not candidates (IJAZA_RUN_SCHEDULER_IN_SERVER=false): the
    # worker leads, and every replica names it.
    leader = wait_for(lambda: leader_pid(apis[0]), timeout=30, what="a leader")
    assert leader == workers[0].pid
    for api in apis:
        state = api.readyz()
        assert state["scheduler"]["candidate"] is False and leader_pid(api) == leader
    assert workers[0].log.read_text().count("scheduler leadership taken") == 1
