"""``ijaza`` — serve, migrate, seed the demo, mint keys, read the calendar, check a decision."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Annotated, NoReturn

import typer
import uvicorn
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app import clock, logs
from app.connections import repository as channels
from app.country_calendar.replan import apply_pending
from app.country_calendar.service import CountryYear, country_year
from app.country_calendar.service import confirm as confirm_date
from app.country_calendar.service import confirmation as confirmation_of
from app.crypto import SecretBox
from app.db import make_engine, make_session_factory, session_scope
from app.decisions.service import evaluate
from app.demo import seed
from app.domain.model import InboundMessage, OccasionDate
from app.errors import IjazaError
from app.keys.service import create_key
from app.middleware import MAX_HEADERS
from app.migrate import upgrade
from app.owners import repository as owners
from app.serving import BoundedHttpTools
from app.settings import get_settings
from app.worker import run_worker

app = typer.Typer(
    help="Ijaza (إجازة): answers your clients while you are away for Eid, Ramadan and "
         "holidays.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


# The services give advice in the API's words; the same advice in the CLI's.
_CLI_WORDING = {'send "force": true': "add --force"}


def _fail(exc: IjazaError) -> NoReturn:
    """Print a service's error for a person at a terminal, and exit 1."""
    detail = exc.detail
    for api, cli in _CLI_WORDING.items():
        detail = detail.replace(api, cli)
    typer.echo(detail, err=True)
    raise typer.Exit(1) from exc


def _sessions():  # noqa: ANN202 - a sessionmaker
    engine = make_engine(get_settings().database_url)
    try:
        ready = inspect(engine).has_table("owner")
    except Exception as exc:  # any driver error: say so plainly, no traceback
        typer.echo(f"cannot reach the database: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not ready:
        typer.echo("the database has no schema yet: run `ijaza migrate` first", err=True)
        raise typer.Exit(1)
    return make_session_factory(engine)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (IJAZA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (IJAZA_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API, the webhooks and the pages."""
    settings = get_settings()
    # uvicorn imports the app, here or in its worker processes, and the app reads its
    # settings from the environment: an override must reach it there too, or the app's
    # public URLs would name the default port.
    os.environ["IJAZA_HOST"] = host or settings.host
    os.environ["IJAZA_PORT"] = str(port or settings.port)
    get_settings.cache_clear()
    settings = get_settings()
    logs.configure(settings.log_level, json=settings.log_json)
    # log_config=None: uvicorn's loggers go through our JSON handler, not text handlers
    # of its own.
    uvicorn.run("app.asgi:app", host=settings.host, port=settings.port, workers=workers,
                log_level="warning", log_config=None, proxy_headers=True,
                http=BoundedHttpTools, h11_max_incomplete_event_size=MAX_HEADERS,
                access_log=False)  # the app logs each request itself, with its request id


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    typer.echo(str(upgrade(get_settings().database_url)))


@app.command()
def demo() -> None:
    """Create the demo owner 'demo' (Saudi Arabia, Asia/Riyadh) and print an admin key.

    Reuses IJAZA_DEMO_ADMIN_KEY if set; else mints a new key and revokes the one the last run
    printed (keys are stored hashed: an old one cannot be shown again)."""
    settings = get_settings()
    try:
        with session_scope(_sessions()) as session:
            seeded = seed(session, admin_key=settings.demo_admin_key)
    except IjazaError as exc:
        _fail(exc)
    base = settings.public_base_url.rstrip("/")
    typer.echo(("created" if seeded.created else "found") + " the demo owner 'demo'")
    typer.echo(f"docs:   {base}/docs")
    typer.echo(f"status: {base}/p/demo")
    if seeded.revoked:
        typer.echo("revoked the previous demo key" if seeded.revoked == 1
                   else f"revoked the {seeded.revoked} previous demo keys")
    typer.echo(f"console: {base}/admin  (sign in with the admin key below)")
    typer.echo("admin key (new, shown once; set IJAZA_DEMO_ADMIN_KEY to keep one across runs):"
               if seeded.minted else "admin key (IJAZA_DEMO_ADMIN_KEY):")
    typer.echo(seeded.key)


@keys_app.command("create")
def keys_create(
    admin: Annotated[bool, typer.Option("--admin", help="A key that may do everything.")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Bind the key to one owner.")] = None,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
) -> None:
    """Create an API key; the key is printed alone on the last line."""
    if admin == (owner is not None):
        typer.echo("give exactly one of --admin or --owner ID", err=True)
        raise typer.Exit(2)
    try:
        with session_scope(_sessions()) as session:
            new = create_key(session, admin=admin, owner_id=owner, name=name)
            key_id, key = new.row.id, new.key
    except IjazaError as exc:
        _fail(exc)
    typer.echo(f"key {key_id} ({'admin' if admin else 'owner ' + str(owner)}), shown once:")
    typer.echo(key)


@app.command()
def worker() -> None:
    """Run the scheduler and the outbox relay in this process (for a separate worker)."""
    asyncio.run(run_worker(get_settings()))


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise typer.BadParameter("give the time with its UTC offset, e.g. 2027-03-10T11:00+03:00")
    return at


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from exc


def _chance(probability: float) -> str:
    """A candidate day's chance in whole percent; one under 0.5 % (the candidates keep
    what is at least 0.5 %) reads "<1%", not "0%", which would say it cannot happen."""
    shown = f"{probability:.0%}"
    return "<1%" if shown == "0%" and probability > 0 else shown


def _a_year_after(day: date) -> date:
    return date(day.year + 1, 3, 1) if (day.month, day.day) == (2, 29) else \
        day.replace(year=day.year + 1)


def _still_on(o: OccasionDate, today: date) -> bool:
    return max(o.date, o.end_date or o.date, o.holiday_last_day or o.date) >= today


def _coming_year(session: Session, country: str, today: date) -> CountryYear:
    """The twelve months from ``today``, from the Gregorian years they span; an occasion
    under way today (Ramadan, an Eid holiday) is still listed."""
    end = _a_year_after(today)
    years = [country_year(session, country, y, today=today)
             for y in range(today.year, (end - timedelta(days=1)).year + 1)]
    return replace(
        years[0],
        occasions=[o for y in years for o in y.occasions if _still_on(o, today) and o.date < end],
        holidays=[h for y in years for h in y.holidays if today <= h.date < end])


@app.command()
def calendar(
    country: Annotated[str, typer.Argument(help="Country code (SA, EG, …) or 'none'.")],
    year: Annotated[int | None, typer.Option(
        help="A whole Gregorian year (default: the twelve months from today).")] = None,
) -> None:
    """Print a country's occasions: Hijri and Gregorian dates, tentative ones with their range."""
    today = clock.now().date()
    try:
        with session_scope(_sessions()) as session:
            data = (country_year(session, country, year, today=today) if year is not None
                    else _coming_year(session, country, today))
    except IjazaError as exc:
        _fail(exc)
    span = (str(year) if year is not None
            else f"{today:%Y-%m-%d} → {_a_year_after(today) - timedelta(days=1):%Y-%m-%d}")
    typer.echo(f"{data.country} {span} — weekend: {', '.join(data.weekend)}")
    typer.echo(f"{'occasion':<18} {'date':<15} {'hijri':<11} {'status':<24} {'holiday':<23} "
               "predicted (probability)")
    for o in data.occasions:
        day = f"{o.date:%a %Y-%m-%d}"
        status = f"expected ({o.earliest:%m-%d}…{o.latest:%m-%d})" if o.tentative else str(o.source)
        holiday = (f"{o.holiday_first_day:%a %m-%d} → {o.holiday_last_day:%a %m-%d}"
                   if o.holiday_first_day and o.holiday_last_day else "—")
        chances = (" · ".join(f"{c.date:%a %m-%d} {_chance(c.probability)}"
                              for c in o.predicted.candidates) if o.predicted else "—")
        typer.echo(f"{o.name['en']:<18} {day:<15} {o.hijri_date or '':<11} {status:<24} "
                   f"{holiday:<23} {chances}")
    if data.holidays:
        typer.echo("")
        typer.echo("national holidays:")
        for h in data.holidays:
            mark = " (expected)" if h.tentative else ""
            typer.echo(f"  {h.date:%a %Y-%m-%d}  {h.name['en']} — {h.name['ar']}{mark}")


@app.command()
def confirm(
    country: Annotated[str, typer.Argument(help="Country code.")],
    occasion: Annotated[str, typer.Argument(help="eid_al_fitr, eid_al_adha, ramadan, …")],
    day: Annotated[str, typer.Argument(metavar="DATE", help="The announced first day, YYYY-MM-DD.")],
    force: Annotated[bool, typer.Option(help="Accept a date more than two days from the prediction.")] = False,
) -> None:
    """Record an announced date, then re-plan every affected owner (in batches, as the
    scheduler's leader would; either may finish what the other started)."""
    sessions = _sessions()
    try:
        with session_scope(sessions) as session:
            row = confirm_date(session, country, occasion, _parse_date(day), hijri_year=None,
                               force=force, note=None, by="cli").confirmation
            confirmation_id = row.id
            typer.echo(f"confirmed {row.occasion} {row.hijri_year} in {row.country} on "
                       f"{row.date} (expected {row.predicted_date})")
        apply_pending(sessions, batch=get_settings().replan_batch, only=confirmation_id)
        with session_scope(sessions) as session:
            row = confirmation_of(session, country, confirmation_id)
            typer.echo(f"{row.owners_done} owner(s) re-planned, "
                       f"{row.corrections_queued} correction(s) queued ({row.status})")
    except IjazaError as exc:
        _fail(exc)


@app.command()
def check(
    owner: Annotated[str, typer.Argument(help="Owner id.")],
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with offset (default: now).")] = None,
    text: Annotated[str, typer.Option(help="The client's message.")] = "",
    contact: Annotated[str, typer.Option(help="The client's address.")] = "someone@example.com",
    name: Annotated[str | None, typer.Option(help="The client's name.")] = None,
) -> None:
    """Show the decision for a message, as a person would read it (nothing is recorded)."""
    when = _parse_at(at) or clock.now()
    with session_scope(_sessions()) as session:
        row = owners.get(session, owner)
        if row is None:
            typer.echo(f"no owner '{owner}'", err=True)
            raise typer.Exit(1)
        message = InboundMessage(platform="cli", address=contact, text=text, received_at=when,
                                 name=name)
        d = evaluate(session, row, message, dry_run=True).decision
    typer.echo(f"status:    {d.status}")
    if d.window:
        title = d.window.title.get("en") or d.window.title.get("ar") or d.window.kind
        tentative = " (expected, subject to the moon sighting)" if d.window.tentative else ""
        typer.echo(f"window:    {title}, {d.window.starts_at:%a %d %b %H:%M} → "
                   f"{d.window.ends_at:%a %d %b %H:%M}{tentative}")
    typer.echo(f"back at:   {d.back_at:%A %d %B %Y %H:%M %Z}")
    typer.echo(f"reply by:  {d.reply_by:%A %d %B %Y %H:%M %Z}")
    if d.urgent:
        typer.echo("urgent:    yes")
    if d.reply:
        typer.echo(f"reply ({d.reply.language}, {d.reply.tone}):")
        typer.echo("")
        for line in d.reply.text.splitlines():
            typer.echo(f"    {line}")
    else:
        typer.echo(f"reply:     none ({d.suppressed or 'the owner answers in person'})")


@app.command("rotate-secrets")
def rotate_secrets() -> None:
    """Re-encrypt every channel secret with IJAZA_SECRET_KEY (old keys in
    IJAZA_PREVIOUS_SECRET_KEYS)."""
    box = SecretBox(get_settings().secret_key)
    count = 0
    with session_scope(_sessions()) as session:
        for row in channels.sealed(session):
            assert row.sealed_secrets is not None  # selected for it
            row.sealed_secrets = box.rotate(row.sealed_secrets)
            count += 1
    typer.echo(f"re-encrypted the secrets of {count} channel(s)")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # python -m app.cli
    main()
