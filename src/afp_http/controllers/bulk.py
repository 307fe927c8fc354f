"""`/bulk`: quote and start a batch from a CSV upload or JSON rows, follow it, cancel it, retry
its failed items, export its results (CSV, ZIP of the videos).

`POST /bulk/quote` and `POST /bulk/start-batch` take the same input: either
`multipart/form-data` with the CSV in a `file` field (optional `model`, `duration_s`,
`aspect_ratio`, `budget` fields) or a JSON body `{rows, model?, duration_s?, aspect_ratio?,
budget?}`. A CSV body may be up to `CSV_MAX_BYTES` (else 413).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream

from afp_core.domain.credentials import Principal
from afp_core.domain.ids import BatchId
from afp_core.usecases import (
    CancelBatchCommand,
    GetBatchResultsQuery,
    GetBatchStatusQuery,
    QuoteBatchQuery,
    RetryBatchItemsCommand,
    StartBatchCommand,
)
from afp_http.auth import SECURITY
from afp_http.controllers._batch_input import read_batch_request
from afp_http.controllers._batch_results import RESULT_COLUMNS, results_csv, zip_videos
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.ratelimit import rate_limit
from afp_http.schemas.bulk import (
    BatchCancelledOut,
    BatchQuoteOut,
    BatchRetriedOut,
    BatchStartedOut,
    BatchStatusOut,
)

CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ZIP_MEDIA_TYPE = "application/zip"
_INPUT = (
    "Send `multipart/form-data` with the CSV in `file` (UTF-8, with or without a byte order"
    " mark; comma or semicolon separated; header row: `url` or `product_url`, and any of"
    " `model`, `duration_s`, `aspect_ratio`, `script`, `language`, `tone`, `variants`,"
    " `notes`; at most 1000 rows, 2 MB; optional form fields `model`, `duration_s`,"
    " `aspect_ratio`, `budget`), or JSON `{rows: [{url, ...}], model?, duration_s?,"
    " aspect_ratio?, budget?}`. Any bad row refuses the whole batch with 422"
    " `validation_error` whose `errors` name each `line` and `column` (duplicate URLs too)."
)


class BulkController(Controller):
    path = "/bulk"
    tags = ["bulk"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY

    @post(
        "/quote",
        status_code=200,
        guards=[rate_limit("bulk", per="user")],
        request_max_body_size=CSV_MAX_BYTES,
        responses=problems(*AUTHED, 413, 415),
        summary="Price every row of a batch and the total, without holding anything",
        description=_INPUT + " The answer says whether the caller's credits and the budget"
        " cover the total.",
    )
    async def quote(
        self,
        request: Request[Principal, str, Any],
        principal: PrincipalDep,
        container: ContainerDep,
    ) -> BatchQuoteOut:
        asked = await read_batch_request(request, container.batch_limits().max_rows)
        quoted = await container.quote_batch().execute(
            QuoteBatchQuery(
                principal.user_id, asked.rows, **asked.defaults.model_dump(exclude_none=True)
            )
        )
        return BatchQuoteOut.of(quoted)

    @post(
        "/start-batch",
        status_code=202,
        guards=[rate_limit("bulk", per="user")],
        request_max_body_size=CSV_MAX_BYTES,
        responses=problems(*AUTHED, 402, 409, 413, 415),
        summary="Validate, price and reserve a batch of products, then queue its items",
        description=_INPUT + " 402 when the credits do not cover every row; 422"
        " `budget_exceeded` when the total is over `budget`. Poll `/bulk/batch/{id}/status`.",
    )
    async def start_batch(
        self,
        request: Request[Principal, str, Any],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[BatchStartedOut]:
        asked = await read_batch_request(request, container.batch_limits().max_rows)

        async def produce() -> tuple[int, BatchStartedOut]:
            started = await container.start_batch().execute(
                StartBatchCommand(
                    principal.user_id,
                    asked.rows,
                    idempotency_key=idempotency_key,
                    **asked.defaults.model_dump(exclude_none=True),
                )
            )
            return 202, BatchStartedOut.of(started)

        payload = asked.fingerprint_payload()
        return await idempotent(request, principal, idempotency_key, payload, produce)

    @get(
        "/batch/{batch_id:str}/status",
        responses=problems(401, 404),
        summary="The batch's status, counts per state, credits, time left and items",
    )
    async def status(
        self, batch_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> BatchStatusOut:
        found = await container.get_batch_status().execute(
            GetBatchStatusQuery(principal.user_id, BatchId(batch_id))
        )
        return BatchStatusOut.of(found)

    @post(
        "/batch/{batch_id:str}/cancel",
        status_code=200,
        responses=problems(401, 404, 409),
        summary="Cancel every item not yet ended; their credits are released",
    )
    async def cancel(
        self,
        request: Request[Principal, str, Any],
        batch_id: FromPath[str],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[BatchCancelledOut]:
        async def produce() -> tuple[int, BatchCancelledOut]:
            done = await container.cancel_batch().execute(
                CancelBatchCommand(principal.user_id, BatchId(batch_id))
            )
            return 200, BatchCancelledOut.of(done)

        return await idempotent(request, principal, idempotency_key, {}, produce)

    @post(
        "/batch/{batch_id:str}/retry",
        status_code=202,
        responses=problems(*AUTHED, 402, 404, 409),
        summary="Run the failed items again, on a new hold for just those items",
        description="409 when no item failed or the batch was cancelled; 402 when the credits"
        " do not cover them; 422 `budget_exceeded` when the batch's budget does not.",
    )
    async def retry(
        self,
        request: Request[Principal, str, Any],
        batch_id: FromPath[str],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[BatchRetriedOut]:
        async def produce() -> tuple[int, BatchRetriedOut]:
            done = await container.retry_batch_items().execute(
                RetryBatchItemsCommand(principal.user_id, BatchId(batch_id))
            )
            return 202, BatchRetriedOut.of(done)

        return await idempotent(request, principal, idempotency_key, {}, produce)

    @get(
        "/batch/{batch_id:str}/results.csv",
        responses=problems(401, 404),
        media_type=CSV_MEDIA_TYPE,
        summary="One CSV row per item: " + ", ".join(RESULT_COLUMNS),
    )
    async def results(
        self, batch_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> Response[str]:
        found = await container.get_batch_results().execute(
            GetBatchResultsQuery(principal.user_id, BatchId(batch_id))
        )
        return Response(
            results_csv(found.rows),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="batch-{found.batch_id}.csv"'},
        )

    @get(
        "/batch/{batch_id:str}/results.zip",
        responses=problems(401, 404),
        media_type=ZIP_MEDIA_TYPE,
        summary="A ZIP of the completed videos, one `line-NNNN-<item>.mp4` per item",
    )
    async def videos_zip(
        self, batch_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> Stream:
        found = await container.get_batch_results().execute(
            GetBatchResultsQuery(principal.user_id, BatchId(batch_id))
        )
        storage = container.storage()
        return Stream(
            zip_videos(found.completed, storage.read),
            media_type=ZIP_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="batch-{found.batch_id}.zip"'},
        )
