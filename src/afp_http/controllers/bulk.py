"""`/bulk`: start a batch from a CSV upload or JSON rows, follow it, cancel it, export results.

`POST /bulk/start-batch` takes either `multipart/form-data` with the CSV in a `file` field
(optional `model`, `duration_s`, `aspect_ratio` fields set the defaults) or a JSON body
`{rows, model?, duration_s?, aspect_ratio?}`. The CSV is read by the core's `parse_batch_csv`
(UTF-8, a byte order mark tolerated); its body may be up to `CSV_MAX_BYTES` (else 413).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath
from pydantic import ValidationError

from afp_core.domain.batch import BatchItem, BatchRow
from afp_core.domain.batch_csv import parse_batch_csv
from afp_core.domain.credentials import Principal
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import BatchId
from afp_core.usecases import (
    CancelBatchCommand,
    GetBatchStatusQuery,
    StartBatchCommand,
)
from afp_http.auth import SECURITY
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.ratelimit import rate_limit
from afp_http.schemas.bulk import (
    BatchCancelledOut,
    BatchDefaultsIn,
    BatchStartedOut,
    BatchStatusOut,
    StartBatchIn,
)

CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
RESULT_COLUMNS = ("line", "url", "status", "video_id", "error", "credits_charged")


@attrs.frozen
class BatchRequest:
    rows: tuple[BatchRow, ...]
    defaults: BatchDefaultsIn

    def fingerprint_payload(self) -> dict[str, Any]:
        rows = [[r.row_index, r.url, dict(r.options)] for r in self.rows]
        return {"rows": rows, **self.defaults.model_dump(exclude_none=True)}


def _invalid(error: ValidationError) -> ValidationException:
    extra = [
        {"key": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
        for e in error.errors()
    ]
    return ValidationException(detail="the request does not match its schema", extra=extra)


def _defaults(data: dict[str, str]) -> BatchDefaultsIn:
    try:
        return BatchDefaultsIn.model_validate(data)
    except ValidationError as error:
        raise _invalid(error) from None


async def _read_csv_upload(request: Request[Any, Any, Any], max_rows: int) -> BatchRequest:
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        data = await upload.read()
    elif isinstance(upload, str):
        data = upload.encode()
    else:
        raise ValidationFailed("send the CSV in a multipart field named `file`")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("the CSV is not UTF-8 text") from None
    fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str) and v}
    defaults = _defaults(fields)
    return BatchRequest(parse_batch_csv(text, max_rows=max_rows), defaults)


async def _read_json(request: Request[Any, Any, Any]) -> BatchRequest:
    body = await request.body()
    try:
        data = StartBatchIn.model_validate_json(body or b"null")
    except ValidationError as error:
        raise _invalid(error) from None
    defaults = BatchDefaultsIn.model_validate(data.model_dump(exclude={"rows"}))
    return BatchRequest(data.to_rows(), defaults)


async def read_batch_request(request: Request[Any, Any, Any], max_rows: int) -> BatchRequest:
    media_type = request.content_type[0]
    if media_type == "multipart/form-data":
        return await _read_csv_upload(request, max_rows)
    if media_type in ("application/json", "") or media_type.endswith("+json"):
        return await _read_json(request)
    raise HTTPException(
        status_code=415, detail="send multipart/form-data with a CSV `file`, or JSON rows"
    )


def _cell(value: object) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def results_csv(items: tuple[BatchItem, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for i in sorted(items, key=lambda item: item.row_index):
        row = (i.row_index, i.url, i.status.value, i.video_id, i.error, i.credits_used)
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


class BulkController(Controller):
    path = "/bulk"
    tags = ["bulk"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY

    @post(
        "/start-batch",
        status_code=202,
        guards=[rate_limit("bulk", per="user")],
        request_max_body_size=CSV_MAX_BYTES,
        responses=problems(*AUTHED, 402, 409, 413, 415),
        summary="Validate, price and reserve a batch of products, then queue one item per row",
        description="Send `multipart/form-data` with the CSV in `file` (header row: `url` or"
        " `product_url`, and any of `model`, `duration_s`, `aspect_ratio`, `script`,"
        " `language`, `tone`, `variants`, `notes`; at most 1000 rows, 2 MB), or JSON"
        " `{rows: [{url, ...}], model?, duration_s?, aspect_ratio?}`. Any bad row refuses the"
        " whole batch with 422 `validation_error` whose `errors` name each `line` and"
        " `column`; 402 when the credits do not cover every row. Poll"
        " `/bulk/batch/{id}/status`.",
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
        summary="The batch's status, progress and items",
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

    @get(
        "/batch/{batch_id:str}/results.csv",
        responses=problems(401, 404),
        media_type=CSV_MEDIA_TYPE,
        summary="One CSV row per item: line, url, status, video id, error, credits charged",
    )
    async def results(
        self, batch_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> Response[str]:
        found = await container.get_batch_status().execute(
            GetBatchStatusQuery(principal.user_id, BatchId(batch_id))
        )
        return Response(
            results_csv(found.items),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="batch-{found.batch_id}.csv"'},
        )
