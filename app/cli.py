"""``ijaza`` — serve, migrate, seed the demo, mint keys, read the calendar, check a decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from app.settings import get_settings

app = typer.Typer(
    help="Ijaza (إجازة): answers your clients while you are away for Eid, Ramadan and "
         "holidays.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _sessions():  # noqa: ANN202 - a sessionmaker
    from sqlalchemy import inspect

    from app.db import make_engine, make_session_factory

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
    import uvicorn

    settings = get_settings()
    uvicorn.run("app.asgi:app", host=host or settings.host, port=port or settings.port,
                workers=workers, log_level="warning", proxy_headers=True)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from app.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is up to date")


@app.command()
def demo() -> None:
    """Create the demo owner 'demo' (Saudi Arabia, Asia/Riyadh) and print an admin key."""
    from app.db import session_scope
    from app.demo import seed

    with session_scope(_sessions()) as session:
        created, key = seed(session, admin_key=get_settings().demo_admin_key)
    settings = get_settings()
    typer.echo(("created" if created else "found") + " the demo owner 'demo'")
    typer.echo(f"API:    http://{settings.host}:{settings.port}/docs")
    typer.echo(f"status: http://{settings.host}:{settings.port}/p/demo")
    typer.echo("admin key (shown once):")
    typer.echo(key)


@keys_app.command("create")
def keys_create(
    admin: Annotated[bool, typer.Option("--admin", help="A key that may do everything.")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Bind the key to one owner.")] = None,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
) -> None:
    """Create an API key; the key is printed alone on the last line."""
    from app.db import session_scope
    from app.errors import IjazaError
    from app.keys.service import create_key

    if admin == (owner is not None):
        typer.echo("give exactly one of --admin or --owner ID", err=True)
        raise typer.Exit(2)
    try:
        with session_scope(_sessions()) as session:
            new = create_key(session, admin=admin, owner_id=owner, name=name)
            key_id, key = new.row.id, new.key
    except IjazaError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"key {key_id} ({'admin' if admin else 'owner ' + str(owner)}), shown once:")
    typer.echo(key)


@app.command()
def worker() -> None:
    """Run the scheduler and the outbox relay in this process (for a separate worker)."""
    import asyncio

    from app.worker import run_worker

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


@app.command()
def calendar(
    country: Annotated[str, typer.Argument(help="Country code (SA, EG, …) or 'none'.")],
    year: Annotated[int | None, typer.Option(help="Gregorian year (default: this year).")] = None,
) -> None:
    """Print a country's occasions: Hijri and Gregorian dates, tentative ones with their range."""
    from app import clock
    from app.country_calendar.service import country_year
    from app.db import session_scope
    from app.errors import IjazaError

    today = clock.now().date()
    try:
        with session_scope(_sessions()) as session:
            data = country_year(session, country, year or today.year, today=today)
    except IjazaError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{data.country} {data.year} — weekend: {', '.join(data.weekend)}")
    typer.echo(f"{'occasion':<18} {'date':<15} {'hijri':<11} {'status':<32} holiday")
    for o in data.occasions:
        day = f"{o.date:%a %Y-%m-%d}"
        status = f"expected ({o.earliest:%m-%d}…{o.latest:%m-%d})" if o.tentative else str(o.source)
        holiday = (f"{o.holiday_first_day:%a %m-%d} → {o.holiday_last_day:%a %m-%d}"
                   if o.holiday_first_day and o.holiday_last_day else "—")
        typer.echo(f"{o.name['en']:<18} {day:<15} {o.hijri_date or '':<11} {status:<32} {holiday}")
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
    """Record an announced date: every owner's windows move at once."""
    from app.country_calendar.service import confirm as do_confirm
    from app.db import session_scope
    from app.errors import IjazaError

    try:
        with session_scope(_sessions()) as session:
            done = do_confirm(session, country, occasion, _parse_date(day), hijri_year=None,
                              force=force, note=None, by="cli")
            row = done.confirmation
            typer.echo(f"confirmed {row.occasion} {row.hijri_year} in {row.country} on "
                       f"{row.date} (expected {row.predicted_date}); "
                       f"{done.owners_updated} owner(s), {done.windows_moved} window(s) moved")
    except IjazaError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc


@app.command()
def check(
    owner: Annotated[str, typer.Argument(help="Owner id.")],
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with offset (default: now).")] = None,
    text: Annotated[str, typer.Option(help="The client's message.")] = "",
    contact: Annotated[str, typer.Option(help="The client's address.")] = "someone@example.com",
    name: Annotated[str | None, typer.Option(help="The client's name.")] = None,
) -> None:
    """Show the decision for a message, as a person would read it (nothing is recorded)."""
    from app import clock
    from app.db import session_scope
    from app.decisions.service import Message, evaluate
    from app.owners import repository

    when = _parse_at(at) or clock.now()
    with session_scope(_sessions()) as session:
        row = repository.get(session, owner)
        if row is None:
            typer.echo(f"no owner '{owner}'", err=True)
            raise typer.Exit(1)
        d = evaluate(session, row, Message(channel="cli", address=contact, text=text, at=when,
                                           name=name), dry_run=True).decision
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
    from sqlalchemy import select

    from app.connections.models import ChannelRow
    from app.crypto import SecretBox
    from app.db import session_scope

    box = SecretBox(get_settings().secret_key)
    count = 0
    with session_scope(_sessions()) as session:
        for row in session.scalars(select(ChannelRow).where(ChannelRow.sealed_secrets.is_not(None))):
            row.sealed_secrets = box.rotate(row.sealed_secrets)
            count += 1
    typer.echo(f"re-encrypted the secrets of {count} channel(s)")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # python -m app.cli
    main()
