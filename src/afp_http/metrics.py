"""Prometheus metrics of one app: its own registry, so several apps never share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from afp_bootstrap import Container

BREAKER_STATES = ("closed", "open", "half_open")


class Metrics:
    """HTTP requests by route template and status, their latency, provider breakers, and the
    videos in each status (read from the database at each scrape)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "afp_http_requests",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "afp_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ("method", "route"),
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "afp_provider_breaker_state",
            "1 for the state each provider's circuit breaker is in, 0 for the others",
            ("provider", "state"),
            registry=self.registry,
        )
        self.breaker_failures = Gauge(
            "afp_provider_breaker_failures",
            "Consecutive failures counted by each provider's circuit breaker",
            ("provider",),
            registry=self.registry,
        )
        self.videos = Gauge(
            "afp_videos",
            "Videos of every user in each status, read from the database at scrape time",
            ("status",),
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    async def render(self, container: Container) -> bytes:
        """The exposition text, with the breakers and the video counts read now."""
        counts = await container.count_videos_by_status().execute()
        for status, count in counts.items():
            self.videos.labels(status.value).set(count)
        for snapshot in container.breakers().snapshots():
            for state in BREAKER_STATES:
                value = 1.0 if str(snapshot.state) == state else 0.0
                self.breaker_state.labels(snapshot.name, state).set(value)
            self.breaker_failures.labels(snapshot.name).set(snapshot.failures)
        return generate_latest(self.registry)


__all__ = ["Metrics"]
