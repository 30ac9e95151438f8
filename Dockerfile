# Ijaza: `docker run ... ijaza` serves; `docker run ... ijaza worker` runs the scheduler+relay.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    IJAZA_HOST=0.0.0.0 IJAZA_PORT=8000 IJAZA_ENV=production

WORKDIR /srv/ijaza
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY config ./config
COPY migrations ./migrations
RUN pip install . && useradd --system --uid 10001 --home /srv/ijaza ijaza \
    && mkdir -p /srv/ijaza/var && chown ijaza /srv/ijaza/var

USER ijaza
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"IJAZA_PORT\",\"8000\")}/healthz')"
ENTRYPOINT ["ijaza"]
CMD ["serve"]
