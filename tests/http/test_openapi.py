"""The OpenAPI 3.1 document: valid, complete, with security and problem answers."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from schemathesis.specs.openapi.definitions import OPENAPI_31

from tests.http.conftest import Api

ROUTES = {  # every route of ../shared/docs/contract.md
    ("post", "/auth/signup"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("post", "/auth/api-keys"),
    ("get", "/auth/api-keys"),
    ("delete", "/auth/api-keys/{key_id}"),
    ("get", "/me"),
    ("get", "/pricing"),
    ("get", "/credits"),
    ("get", "/credits/transactions"),
    ("post", "/generate/scrape"),
    ("post", "/generate/script"),
    ("post", "/generate/assess"),
    ("post", "/generate/video"),
    ("get", "/videos"),
    ("get", "/videos/{video_id}"),
    ("get", "/videos/{video_id}/status"),
    ("post", "/videos/{video_id}/cancel"),
    ("get", "/videos/{video_id}/file"),
    ("post", "/webhooks/kie"),
    ("post", "/bulk/start-batch"),
    ("get", "/bulk/batch/{batch_id}/status"),
    ("post", "/bulk/batch/{batch_id}/cancel"),
    ("get", "/bulk/batch/{batch_id}/results.csv"),
    ("post", "/bulk/quote"),
    ("post", "/bulk/batch/{batch_id}/retry"),
    ("get", "/bulk/batch/{batch_id}/results.zip"),
    ("post", "/payment/lemonsqueezy/checkout"),
    ("post", "/payment/cryptomus/checkout"),
    ("post", "/webhooks/lemonsqueezy"),
    ("post", "/webhooks/cryptomus"),
    ("get", "/auth/oauth/{provider}"),
    ("get", "/auth/oauth/{provider}/callback"),
    ("get", "/social/connections"),
    ("delete", "/social/connections/{provider}"),
    ("post", "/social/publish"),
    ("get", "/social/posts"),
    ("get", "/social/posts/{post_id}"),
    ("get", "/admin/users"),
    ("post", "/admin/users/{user_id}/credits"),
    ("get", "/admin/videos"),
    ("get", "/admin/stats"),
    ("get", "/admin/providers"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
}


async def _document(api: Api) -> dict[str, Any]:
    answer = await api.client.get("/schema/openapi.json")
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return doc


async def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    doc = await _document(api)
    assert doc["openapi"].startswith("3.1")
    jsonschema_rs.validator_for(OPENAPI_31).validate(doc)


async def test_every_route_is_listed(api: Api) -> None:
    doc = await _document(api)
    listed = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert listed >= ROUTES


async def test_protected_routes_declare_bearer_security_and_public_ones_do_not(api: Api) -> None:
    doc = await _document(api)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["paths"]["/generate/video"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/pricing"]["get"]


async def test_problem_answers_are_declared_per_route(api: Api) -> None:
    doc = await _document(api)
    video = doc["paths"]["/generate/video"]["post"]["responses"]
    assert {"202", "401", "402", "409", "422", "429", "500"} <= set(video)
    assert "application/problem+json" in video["402"]["content"]
    assert "Idempotency-Key" in {
        p["name"] for p in doc["paths"]["/generate/video"]["post"]["parameters"]
    }
    assert "404" in doc["paths"]["/videos/{video_id}"]["get"]["responses"]
    assert {t["name"] for t in doc["tags"]} >= {"auth", "generate", "videos", "system"}


async def test_every_tag_an_operation_uses_is_declared_with_a_description(api: Api) -> None:
    doc = await _document(api)
    declared = {t["name"]: t.get("description") for t in doc["tags"]}
    used = {
        tag
        for operations in doc["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for tag in operation.get("tags", ())
    }
    assert used <= set(declared), used - set(declared)
    assert all(declared[tag] for tag in used)
