"""The apps `bench/http.py` serves under uvicorn (`--factory`), one per process.

- `bare`: the reference, a minimal Litestar JSON endpoint (`GET /ping` -> `{"ok": true}`).
- `afp`: the AFP API exactly as `afp serve` builds it (`create_app_from_settings`): settings
  from the `AFP_*` environment variables the bench sets (database, fake providers, storage),
  JSON request logs, metrics, authentication, rate limits.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


def bare() -> Litestar:
    return Litestar([ping])


def afp() -> Litestar:
    from afp_http import create_app_from_settings  # noqa: PLC0415 - not in the bare app

    return create_app_from_settings()


__all__ = ["afp", "bare"]
