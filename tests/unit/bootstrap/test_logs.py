"""Logs never carry secrets: no locals in tracebacks, secret-named fields masked."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import pytest
import structlog

from afp_bootstrap.logs import MASK, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def _crash_inside_httpx_with_a_key_in_scope() -> None:
    headers = {"Authorization": "Bearer sk-live-THE-REAL-KEY"}
    request = httpx.Request("POST", "https://api.kie.ai/api/v1/jobs/createTask", headers=headers)
    raise httpx.DecodingError("incorrect header check", request=request)


def test_a_traceback_never_prints_local_variables() -> None:
    out = io.StringIO()
    configure_logging(stream=out)
    try:
        _crash_inside_httpx_with_a_key_in_scope()
    except httpx.DecodingError:
        structlog.get_logger("t").exception("job.crashed", job="submit_video")
    text = out.getvalue()
    assert "DecodingError" in text and "job.crashed" in text
    assert "sk-live-THE-REAL-KEY" not in text


def test_fields_named_like_secrets_are_masked_in_json_logs() -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=out)
    structlog.get_logger("t").info("call", api_key="sk-1", authorization="Bearer x", model="m")
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["api_key"] == MASK and line["authorization"] == MASK
    assert line["model"] == "m" and line["level"] == "info" and "timestamp" in line
