"""The ASGI entry point for uvicorn: ``app.asgi:app``."""

import gc

from app.main import create_app

app = create_app()

# Everything loaded so far (the app, SQLAlchemy's mappers, the calendar tables) lives as
# long as the process: keep it out of the cyclic collector's full passes, and collect the
# young generation less often (requests allocate many short-lived objects).
gc.freeze()
gc.set_threshold(20_000, 20, 20)
