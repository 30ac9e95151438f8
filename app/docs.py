"""``/docs`` without the internet: Swagger UI served from our own origin.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN, so it is blank on a machine that is
offline or behind a strict firewall. The files in ``app/static/docs`` are swagger-ui-dist
5.35.0 from npm, unmodified (Apache-2.0, see ``LICENSE`` and ``NOTICE`` there). To update:
``npm pack swagger-ui-dist@VERSION``, copy ``swagger-ui-bundle.js`` and ``swagger-ui.css``
from the tarball's ``package/`` and change the version above.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "docs"
ASSETS_URL = "/docs/assets"
# Inside the page rather than a file: no request, and pyproject packages no images.
FAVICON = "data:image/svg+xml," + quote(
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'>"
    "<text y='.9em' font-size='90'>🌙</text></svg>", safe="")


def install(app: FastAPI, *, docs_url: str = "/docs") -> None:
    """Serve Swagger UI at ``docs_url``, every asset from this origin. Create the app with
    ``docs_url=None, redoc_url=None`` so that FastAPI's CDN pages are not mounted too."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    # Swagger UI would otherwise ask validator.swagger.io to check the schema.
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            swagger_ui_parameters=parameters,
        )
