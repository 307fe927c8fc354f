"""Shared test setup: Hypothesis profiles and the in-memory world of fakes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests import network_guard, s3_support, sql_support

network_guard.install()


@pytest.fixture(autouse=True)
def _network_only_for_external_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("external") is None:
        yield
        return
    with network_guard.allowed():
        yield


settings.register_profile(
    "dev",
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
)
settings.register_profile(
    "ci",
    max_examples=1000,
    stateful_step_count=40,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


# ---------------------------------------------------------------- SQL databases
@pytest.fixture(scope="session")
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with sql_support.sqlite_template(tmp_path_factory.mktemp("sqlite-template")) as path:
        yield path


@pytest.fixture
def sqlite_url(sqlite_template_path: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of its own."""
    return sql_support.sqlite_copy(sqlite_template_path, tmp_path)


@pytest.fixture(scope="session")
def postgres_template_name() -> Iterator[str]:
    with sql_support.postgres_template() as name:
        yield name


@pytest.fixture
def postgres_url(postgres_template_name: str) -> Iterator[str]:
    """A migrated PostgreSQL database of its own, dropped afterwards."""
    with sql_support.postgres_copy(postgres_template_name) as url:
        yield url


# ---------------------------------------------------------------- S3-compatible storage
@pytest.fixture(scope="session")
def s3_server() -> Iterator[s3_support.S3Server]:
    """moto's S3 server on loopback, for the whole session (started on first use)."""
    with s3_support.moto_server() as server:
        yield server
