"""OpenAPI helpers: the problem responses each route declares, and the document's config."""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from afp_http.auth import BEARER_SCHEME
from afp_http.problems import PROBLEM_MEDIA_TYPE, Problem, kind_of

_CODE_OF_STATUS = {
    401: "unauthenticated",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "provider_unavailable",
}

TAGS = [
    Tag(name="auth", description="Sign-up, log-in, sessions and API keys"),
    Tag(name="account", description="The caller, credits, the journal and prices"),
    Tag(name="generate", description="Scrape, write scripts, assess and start videos"),
    Tag(name="videos", description="The caller's videos"),
    Tag(name="bulk", description="Batches from a CSV or JSON rows: start, follow, cancel"),
    Tag(name="payments", description="Credit pack checkouts and payment provider webhooks"),
    Tag(name="social", description="TikTok, YouTube and Instagram: connect, publish, follow posts"),
    Tag(name="admin", description="Users, credit adjustments, every video, stats, providers"),
    Tag(name="media", description="Stored videos behind expiring signed links"),
    Tag(name="webhooks", description="Provider callbacks (signatures checked on raw bytes)"),
    Tag(name="system", description="Health, readiness and metrics"),
]


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem-details answers a route may give. 400 (a malformed body, e.g. bad JSON), 422 (a
    parameter or header such as `Idempotency-Key` out of its schema) and 500 are always
    listed: without our 400, Litestar documents its own `application/json` 400 shape, which
    the app never sends (every error is `application/problem+json`)."""
    found: dict[int, ResponseSpec] = {}
    for status in sorted({*statuses, 400, 422, 500}):
        code = _CODE_OF_STATUS.get(status, "bad_request")
        found[status] = ResponseSpec(
            data_container=Problem,
            description=f"{kind_of(code).title} (`application/problem+json`)",
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
    return found


AUTHED = (401, 422, 429)  # what every authenticated JSON route may answer


def openapi_config(title: str, version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=title,
        version=version,
        description=(
            "AFP: AI-generated UGC video ads. Errors are RFC 9457 problem details with a stable"
            " `code`. Mutating POSTs accept an `Idempotency-Key` header."
        ),
        path="/schema",
        tags=TAGS,
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A session token from /auth/login or an API key",
                )
            }
        ),
        render_plugins=[ScalarRenderPlugin()],
    )


__all__ = ["AUTHED", "TAGS", "openapi_config", "problems"]
