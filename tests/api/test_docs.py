"""/docs works offline: the page and everything it loads come from our own origin."""

from __future__ import annotations

import re

ASSET_TYPES = {".js": "javascript", ".css": "text/css"}


def _references(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""", html)


def test_docs_page_names_no_other_host(client) -> None:  # noqa: ANN001
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    refs = [a or b for a, b in _references(page.text)]
    assert len(refs) >= 4  # the stylesheet, the icon, the script and the schema
    assert all(ref.startswith(("/", "data:")) and not ref.startswith("//") for ref in refs)


def test_every_asset_the_page_loads_answers(client) -> None:  # noqa: ANN001
    refs = [a or b for a, b in _references(client.get("/docs").text)]
    assets = [ref for ref in refs if ref.startswith("/") and ref != "/openapi.json"]
    assert {ref.rsplit(".", 1)[-1] for ref in assets} == {"js", "css"}
    for ref in assets:
        response = client.get(ref)
        assert response.status_code == 200, ref
        assert ASSET_TYPES["." + ref.rsplit(".", 1)[-1]] in response.headers["content-type"]
        assert len(response.content) > 100_000, ref  # the real bundle, not a stub
    assert client.get("/openapi.json").json()["info"]["title"] == "Ijaza"


def test_the_cdn_pages_are_not_mounted(client) -> None:  # noqa: ANN001
    assert client.get("/redoc").status_code == 404
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
