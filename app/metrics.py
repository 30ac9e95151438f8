"""Prometheus counters (served at /metrics)."""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import Counter, Histogram

DECISIONS = Counter("ijaza_decisions_total", "Decisions taken, by status and outcome",
                    ["status", "outcome"])
DELIVERIES = Counter("ijaza_delivery_attempts_total", "Send attempts, by platform and result",
                     ["platform", "result"])
WEBHOOKS = Counter("ijaza_webhooks_total", "Webhook deliveries, by platform and result",
                   ["platform", "result"])
SEND_SECONDS = Histogram("ijaza_send_seconds", "Duration of one platform send", ["platform"])
INTAKE_BATCH = Histogram("ijaza_intake_batch_size",
                         "Messages decided and recorded in one transaction (group commit)",
                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))


@cache
def decision_counter(status: str, outcome: str) -> Any:
    """``DECISIONS.labels(status, outcome)``, found once (every message counts one): the
    labels are a handful of fixed words."""
    return DECISIONS.labels(status, outcome)


@cache
def webhook_counter(platform: str, result: str) -> Any:
    """``WEBHOOKS.labels(platform, result)``, found once (every delivery counts one)."""
    return WEBHOOKS.labels(platform, result)
