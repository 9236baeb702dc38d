"""Prometheus metrics shared by every service (labelled by service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published to Kafka", ["service"])
OUTBOX_FAILURES = Counter("outbox_publish_failures_total", "Outbox publish rounds that failed", ["service"])
OUTBOX_PENDING = Gauge("outbox_pending", "Outbox rows not yet published (last seen by the relay)", ["service"])
BROKER_RESETS = Counter(
    "broker_resets_total", "Times the relay found the broker had lost acknowledged events and re-published", ["service"]
)
EVENTS_HANDLED = Counter("events_handled_total", "Events handled by consumers", ["service", "consumer", "outcome"])
EVENT_HANDLER_ERRORS = Counter("event_handler_errors_total", "Handler attempts that raised", ["service", "consumer"])
EVENT_RETRIES = Counter(
    "event_retries_total",
    "Messages scheduled for another try, by cause (handler error or database outage)",
    ["service", "consumer", "cause"],
)
