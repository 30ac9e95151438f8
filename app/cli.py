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
    from app.db import make_engine, make_session_factory

    return make_session_factory(make_engine(get_settings().database_url))


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


def main() -> None:  # pragma: no cover - console entry point
    app()
