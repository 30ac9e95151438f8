"""What every benchmark shares: a throwaway SQLite database, a uvicorn server in a
subprocess, ``wrk`` with generated Lua scripts, and small result tables.

Everything listens on and loads 127.0.0.1 only. Every wait is bounded in time and count.
Run the scripts from anywhere: this module puts the repository root on ``sys.path`` (for
in-process seeding) and on ``PYTHONPATH`` (for the subprocesses).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
UVICORN = str(BIN / "uvicorn") if (BIN / "uvicorn").exists() else "uvicorn"
IJAZA = str(BIN / "ijaza") if (BIN / "ijaza").exists() else "ijaza"
SECRET_KEY = "bench-secret-key-0123456789abcdef"  # 32 characters, development only
CONNECTIONS = 32
THREADS = 2
DURATION = 10  # seconds per measured wrk run
WARMUP = 2  # seconds of wrk before each measured run
ZONE_RIYADH = ZoneInfo("Asia/Riyadh")

_CHILDREN: list[subprocess.Popen[bytes]] = []


@atexit.register
def _stop_children() -> None:
    """Never leave a server, fake or worker this process started running."""
    for proc in _CHILDREN:
        if proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


def spawn(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen`` for a child that is killed at exit if still running."""
    proc = subprocess.Popen(list(cmd), **kwargs)
    _CHILDREN.append(proc)
    return proc


for _path in (ROOT, BENCH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


# --------------------------------------------------------------------------------------
# environment, database


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(db_url: str, port: int | None = None, **extra: str) -> dict[str, str]:
    """The environment of a server or worker subprocess (and of in-process seeding)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IJAZA_")}
    env.update({
        "IJAZA_DATABASE_URL": db_url,
        "IJAZA_ENV": "development",
        "IJAZA_LOG_LEVEL": "WARNING",
        "IJAZA_RUN_SCHEDULER_IN_SERVER": "false",
        "IJAZA_RUN_RELAY_IN_SERVER": "false",
        "IJAZA_SECRET_KEY": SECRET_KEY,
        "IJAZA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port or 8000}",
        # The fake platforms listen on 127.0.0.1; the limits count every request (their
        # cost is in the figures) but never refuse one of wrk's.
        "IJAZA_ALLOW_PRIVATE_TARGETS": "true",
        "IJAZA_KEY_REQUESTS_PER_MINUTE": "1000000000",
        "IJAZA_CHANNEL_REQUESTS_PER_MINUTE": "1000000000",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


class Workdir:
    """A temp dir holding the SQLite database, Lua scripts and server logs."""

    def __init__(self, name: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"ijaza-{name}-"))
        self.db_path = self.path / "bench.db"
        self.db_url = f"sqlite:///{self.db_path}"

    def file(self, name: str, text: str) -> Path:
        path = self.path / name
        path.write_text(text, encoding="utf-8")
        return path

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Workdir:
        return self

    def __exit__(self, *exc: object) -> None:
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"(kept {self.path})")
            return
        self.cleanup()


def migrate(db_url: str) -> None:
    """``ijaza migrate`` on the bench database, in a subprocess with the bench env."""
    done = subprocess.run([IJAZA, "migrate"], env=bench_env(db_url), cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ijaza migrate failed:\n{done.stdout}\n{done.stderr}")


def use_env_in_process(db_url: str, **extra: str) -> None:
    """Make this process's settings match the servers' (for in-process seeding)."""
    for key, value in bench_env(db_url, **extra).items():
        if key.startswith("IJAZA_"):
            os.environ[key] = value
    from app.settings import get_settings

    get_settings.cache_clear()


def sessions_for(db_url: str) -> Any:
    from app.db import make_engine, make_session_factory

    return make_session_factory(make_engine(db_url))


# --------------------------------------------------------------------------------------
# seeding through the app's own services


OWNER_HOURS = {d: ["09:00-17:00"] for d in ("sun", "mon", "tue", "wed", "thu")}


def seed_owner(sessions: Any, owner_id: str = "bench", *, country: str = "SA",
               timezone: str = "Asia/Riyadh") -> None:
    from app.db import session_scope
    from app.owners import service
    from app.owners.schemas import OwnerCreate

    with session_scope(sessions) as session:
        service.create(session, OwnerCreate(
            id=owner_id, name="Bench Studio", timezone=timezone, country=country,
            languages=["ar", "en"], tone="formal", working_hours=OWNER_HOURS,
            response_time="PT4H", urgent_contact="Omar +966500000000"))


def admin_key(sessions: Any) -> str:
    from app.db import session_scope
    from app.keys.service import create_key

    with session_scope(sessions) as session:
        return create_key(session, admin=True, owner_id=None, name="bench").key


def off_window(sessions: Any, owner_id: str, start: datetime, end: datetime) -> str:
    """A manual 'off' window (leave) for the owner, through the windows service."""
    from app.db import session_scope
    from app.owners import repository
    from app.windows import service
    from app.windows.schemas import WindowCreate

    with session_scope(sessions) as session:
        owner = repository.get(session, owner_id)
        row = service.create_manual(session, owner, WindowCreate(
            kind="off", starts_at=start, ends_at=end,
            title={"en": "Bench leave", "ar": "إجازة القياس"}))
        return row.id


def bench_database(work: Workdir, **env: str) -> Any:
    """A migrated database with the owner ``bench``; this process's settings point at it
    (``env``: extra ``IJAZA_*`` settings). Returns the session factory."""
    migrate(work.db_url)
    use_env_in_process(work.db_url, **env)
    sessions = sessions_for(work.db_url)
    seed_owner(sessions, "bench")
    return sessions


def on_leave_now(sessions: Any, owner_id: str = "bench") -> datetime:
    """Put the owner on leave from yesterday to a month from now; returns "now" (UTC)."""
    now = utc_now().replace(microsecond=0)
    off_window(sessions, owner_id, now - timedelta(days=1), now + timedelta(days=30))
    return now


# --------------------------------------------------------------------------------------
# servers


class Server:
    """``uvicorn APP --workers 1`` on 127.0.0.1:PORT in a subprocess, up once /healthz answers."""

    def __init__(self, app: str, db_url: str, workdir: Workdir, *, name: str,
                 app_dir: Path | None = None, env: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.app = app
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = bench_env(db_url, self.port, **(env or {}))
        self.log_path = workdir.path / f"{name}.log"
        self.app_dir = app_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> Server:
        cmd = [UVICORN, self.app, "--workers", "1", "--host", "127.0.0.1", "--port",
               str(self.port), "--log-level", "warning", "--no-access-log"]
        if self.app_dir is not None:
            cmd += ["--app-dir", str(self.app_dir)]
        log = self.log_path.open("wb")
        self.proc = spawn(cmd, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz in {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (all its threads)."""
        return process_cpu(self.proc.pid) if self.proc is not None else 0.0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc (0.0 where unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def ijaza_server(workdir: Workdir, *, env: dict[str, str] | None = None) -> Server:
    return Server("app.asgi:app", workdir.db_url, workdir, name="ijaza", env=env)


def bare_server(workdir: Workdir) -> Server:
    return Server("bare_app:app", workdir.db_url, workdir, name="bare", app_dir=BENCH)


def http_json(method: str, url: str, body: Any = None, *, key: str | None = None,
              timeout: float = 30.0) -> tuple[int, Any]:
    """One JSON request with the standard library (setup calls, not measurements)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if key:
        request.add_header("authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")


class FakeSlack:
    """``bench/fake_slack.py`` in a subprocess: answers ``{"ok": true}``, logs arrivals."""

    def __init__(self, workdir: Workdir) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir.path / "arrivals.log"
        self.out_path = workdir.path / "fake_slack.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> FakeSlack:
        self.log_path.touch()
        out = self.out_path.open("wb")
        self.proc = spawn(
            [PYTHON, str(BENCH / "fake_slack.py"), "--port", str(self.port), "--log",
             str(self.log_path)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fake slack exited: {self.out_path.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.1)
        raise RuntimeError("fake slack did not start")

    def count(self) -> int:
        """Requests received so far (lines in the log)."""
        with self.log_path.open("rb") as f:
            return f.read().count(b"\n")

    def arrivals(self) -> list[tuple[float, str, str]]:
        from fake_slack import read_log

        return read_log(str(self.log_path))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def slack_channel(sessions: Any, owner_id: str, api_base_url: str, *,
                  signing_secret: str = "bench-secret") -> str:
    """A Slack connection (mode send) through the connections service; returns its id."""
    from app.connections import service
    from app.connections.schemas import ChannelCreate
    from app.crypto import SecretBox
    from app.db import session_scope
    from app.owners import repository

    with session_scope(sessions) as session:
        owner = repository.get(session, owner_id)
        row = service.create(session, owner, ChannelCreate(
            platform="slack", mode="send", name="bench",
            settings={"signing_secret": signing_secret, "bot_token": "xoxb-bench",
                      "bot_user_id": "UBOT", "bot_id": "BBOT",
                      "api_base_url": api_base_url}), SecretBox(SECRET_KEY, previous=[]),
            allow_private=True)
        return row.id


def enqueue_deliveries(sessions: Any, owner_id: str, channel_id: str, count: int) -> None:
    """``count`` pending Slack replies through ``outbox.service.enqueue``; the message text
    carries ``bench-<n>``, the id the fake server logs."""
    from app.db import session_scope
    from app.outbox.service import enqueue

    now = utc_now()
    for first in range(0, count, 1000):
        with session_scope(sessions) as session:
            for n in range(first, min(first + 1000, count)):
                enqueue(session, owner_id=owner_id, channel_id=channel_id, platform="slack",
                        kind="reply", key=f"bench:{n}", now=now,
                        payload={"to": f"D{n:08d}", "text": f"Eid Mubarak! back soon bench-{n}",
                                 "subject": None,
                                 "context": {"channel": f"D{n:08d}",
                                             "thread_ts": f"1779868795.{n:06d}"}})


def delivery_counts(sessions: Any) -> dict[str, int]:
    """Deliveries by status."""
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.outbox.models import Delivery

    with session_scope(sessions) as session:
        return dict(session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)).all())


def pacing(arrivals: list[tuple[float, str, str]], limit: float) -> dict[str, Any]:
    """Rate, the busiest second and duplicates, from the fake server's log."""
    from fake_slack import max_in_window

    times = [a[0] for a in arrivals]
    ids = [a[1] for a in arrivals]
    span = (max(times) - min(times)) if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    ordered = sorted(times)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    interval = 1.0 / limit
    stalls = [g for g in gaps if g > 3 * interval]
    steady = [g for g in gaps if g <= 3 * interval]
    return {"received": len(times), "distinct_ids": len(set(ids)),
            "median_gap_ms": round(statistics.median(gaps) * 1000, 2) if gaps else None,
            "steady_rate_per_s": round(len(steady) / sum(steady), 1) if steady else None,
            "stalls": len(stalls), "stalled_s": round(sum(stalls), 2),
            "duplicates": len(ids) - len(set(ids)), "span_s": round(span, 2),
            "rate_per_s": round(rate, 1), "rate_share": round(rate / limit, 3),
            "max_in_1s": max_in_window(times) if times else 0,
            "paths": sorted({a[2] for a in arrivals})[:3]}


# --------------------------------------------------------------------------------------
# wrk


LUA_PRELUDE = """
-- Each wrk thread has its own Lua state: setup() (in the main state) numbers the threads,
-- so that with a per-thread counter every request gets a distinct number n; run is a tag
-- unique to this wrk invocation (its first script argument), so that runs never collide.
nthreads = %(threads)d
local made = 0
function setup(thread)
  thread:set("tid", made)
  made = made + 1
end
function init(args)
  tid = tid or 0
  run = args[1] or "0"
  counter = 0
  if on_init then on_init(args) end
end
function next_n()
  counter = counter + 1
  return counter * nthreads + tid
end
"""


def lua(body: str, *, threads: int = THREADS) -> str:
    """A wrk script: the prelude (``tid``, ``run``, ``next_n()``) plus ``body``, which
    defines ``request()``."""
    return LUA_PRELUDE % {"threads": threads} + body


def lua_string(value: str) -> str:
    """A Lua string literal (long-bracket form, safe for JSON and UTF-8)."""
    level = "=" * 3
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


@dataclass
class WrkResult:
    label: str
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    duration_s: float = 0.0
    settle_s: float = 0.0
    cpu_ms_per_req: float | None = None  # server CPU (all threads) per request
    cpu_util: float | None = None  # server CPU seconds per wall second (1.0 = one core)
    raw: str = field(default="", repr=False)

    def headline(self) -> str:
        return f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "requests": self.requests, "rps": round(self.rps, 1),
                "p50_ms": round(self.p50_ms, 2), "p90_ms": round(self.p90_ms, 2),
                "p99_ms": round(self.p99_ms, 2), "non_2xx": self.non_2xx,
                "socket_errors": self.socket_errors, "settle_s": self.settle_s,
                "cpu_ms_per_req": self.cpu_ms_per_req, "cpu_util": self.cpu_util}


_RUNS = [0]


def run_tag() -> str:
    """A tag unique to one wrk invocation in this process (time-based across processes)."""
    _RUNS[0] += 1
    return f"{int(time.time()) % 100000}r{_RUNS[0]}"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m[1]) * _UNITS[m[2]]


def parse_wrk(label: str, out: str) -> WrkResult:
    result = WrkResult(label=label, raw=out)
    for pct, attr in (("50", "p50_ms"), ("90", "p90_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)\s*$", out, re.M)
        if m:
            setattr(result, attr, _ms(m[1]))
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m:
        result.requests = int(m[1])
        result.duration_s = _ms(m[2] + m[3]) / 1000
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        result.rps = float(m[1])
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        result.non_2xx = int(m[1])
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        result.socket_errors = sum(int(x) for x in m.groups())
    return result


def wrk(label: str, url: str, script: Path | None = None, *, duration: int = DURATION,
        connections: int = CONNECTIONS, threads: int = THREADS,
        headers: Sequence[str] = (), args: Sequence[str] = (),
        allow_empty: bool = False) -> WrkResult:
    """One wrk run (``--latency``); the result is parsed, the output kept in ``raw``.

    The script gets a fresh run tag as its first argument, then ``args``."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "--timeout", "10s"]
    for header in headers:
        cmd += ["-H", header]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    cmd += ["--", run_tag(), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    result = parse_wrk(label, done.stdout)
    if result.requests == 0 and not allow_empty:
        raise RuntimeError(f"wrk made no requests:\n{done.stdout}\n{done.stderr}")
    return result


def settle(server: Server | None, *, timeout: float = 120.0) -> float:
    """Wait until the server has finished the requests wrk left in flight (wrk stops with
    up to CONNECTIONS requests unanswered): until it uses under 5 % of a core over half a
    second. Returns the seconds waited.

    Without this, the next run's connections pile onto the abandoned requests: Ijaza then
    has more requests in flight than its thread pool has threads (40), which it does not
    survive (see bench/README.md, "findings").
    """
    if server is None or server.proc is None:
        return 0.0
    started = time.monotonic()
    last = server.cpu_seconds()
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        now = server.cpu_seconds()
        if now - last < 0.025:
            break
        last = now
    return round(time.monotonic() - started, 2)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing Debian's wrk", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, timeout=300,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")


def measure(label: str, url: str, script: Path | None = None, *,
            warmup: int = WARMUP, server: Server | None = None, **kwargs: Any) -> WrkResult:
    """A short warm-up run, then the measured one (with the server's CPU per request when
    ``server`` is given)."""
    if warmup:
        wrk(label + " (warm-up)", url, script, duration=warmup,
            **{k: v for k, v in kwargs.items() if k != "duration"})
        settle(server)
    before = server.cpu_seconds() if server is not None else 0.0
    result = wrk(label, url, script, **kwargs)
    result.settle_s = settle(server)
    if server is not None:
        used = server.cpu_seconds() - before
        result.cpu_ms_per_req = round(used * 1000 / max(result.requests, 1), 3)
        result.cpu_util = round(used / max(result.duration_s + result.settle_s, 0.001), 2)
    return result


# --------------------------------------------------------------------------------------
# results


@dataclass
class Check:
    """A figure against its target; ``ok`` is None for a figure without a target."""

    what: str
    value: Any
    target: str
    ok: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "value": self.value, "target": self.target, "ok": self.ok}


@dataclass
class Report:
    scenario: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, what: str, value: Any, target: str, ok: bool) -> None:
        self.checks.append(Check(what, value, target, bool(ok)))

    def info(self, what: str, value: Any) -> None:
        """A headline figure with no target (shown in the summary table)."""
        self.checks.append(Check(what, value, "—", None))

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "rows": self.rows,
                "checks": [c.as_dict() for c in self.checks], "notes": self.notes}


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A markdown table of ``rows`` restricted to ``columns`` (missing cells empty)."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "NO"
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def print_report(report: Report, columns: Sequence[str]) -> None:
    print(f"\n## {report.scenario}\n")
    if report.rows:
        print(table(report.rows, columns))
    if report.checks:
        print()
        print(table([{**c.as_dict(), "ok": "info" if c.ok is None else c.ok}
                     for c in report.checks], ["what", "value", "target", "ok"]))
    for note in report.notes:
        print(f"- {note}")
    sys.stdout.flush()


def cli(run: Any, columns: Sequence[str]) -> None:
    """The ``main()`` of a scenario: run it, print its table, write ``--json`` if asked."""
    parser = argparse.ArgumentParser(description=(run.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    ensure_wrk()
    started = time.monotonic()
    load = os.getloadavg()
    report = run()
    report.notes.append("load average before the run: "
                        + ", ".join(f"{x:.2f}" for x in load) + f" ({os.cpu_count()} cores)")
    report.notes.append(f"scenario took {time.monotonic() - started:.0f} s")
    print_report(report, columns)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False,
                                        default=str))


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started
