"""Prometheus metrics the bot exports at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

TURNS = Counter("consult_turns_total", "Conversation turns handled", ["channel", "outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram(
    "consult_turn_seconds",
    "Time to handle one turn",
    ["channel"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX = Counter("consult_outbox_total", "Outbox messages finished", ["kind", "outcome"], registry=REGISTRY)
