"""`/health`, `/ready`, `/metrics`, and the lifespan's schema check."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from afp_adapters.sql import downgrade
from afp_bootstrap import ConfigurationError
from tests.http.conftest import Api, build_api_app
from tests.world import World


async def test_health_is_ok(api: Api) -> None:
    answer = await api.client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_ready_on_a_current_database_then_503_when_it_falls_behind(sqlite_url: str) -> None:
    app = build_api_app(World(database_url=sqlite_url))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/ready")).status_code == 200
        await downgrade(sqlite_url, "base")
        answer = await client.get("/ready")
        assert answer.status_code == 503
        assert answer.json()["code"] == "not_ready"
        assert "afp migrate" in answer.json()["detail"]


async def test_the_app_refuses_to_start_on_a_schema_that_is_behind(tmp_path: Path) -> None:
    app = build_api_app(World(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(ExceptionGroup) as raised:  # the test client's task group wraps it
        async with AsyncTestClient(app=app):
            pass
    refusals = raised.value.subgroup(ConfigurationError)
    assert refusals is not None
    assert "afp migrate" in str(refusals.exceptions[0])


async def test_metrics_count_requests_by_route_template_and_show_breakers(api: Api) -> None:
    api.world.c.breakers().get("kie")
    caller = await api.sign_up()
    await api.client.get("/videos/nope/status", headers=caller.headers)
    await api.client.get("/health")
    answer = await api.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'afp_http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
    assert 'route="/videos/{video_id}/status",status="404"' in text
    assert "afp_http_request_duration_seconds_bucket" in text
    assert 'afp_provider_breaker_state{provider="kie",state="closed"} 1.0' in text
