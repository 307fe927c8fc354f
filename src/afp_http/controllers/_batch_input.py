"""Reading a batch from a request: a CSV upload (multipart `file`) or JSON rows.

The CSV is read by the core's `parse_batch_csv` (UTF-8, a byte order mark tolerated; comma,
semicolon or tab separated); the other multipart fields (`model`, `duration_s`,
`aspect_ratio`, `budget`) set the batch's defaults.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException
from pydantic import ValidationError

from afp_core.domain.batch import BatchRow
from afp_core.domain.batch_csv import parse_batch_csv
from afp_core.domain.errors import ValidationFailed
from afp_http.schemas.bulk import BatchDefaultsIn, StartBatchIn


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


__all__ = ["BatchRequest", "read_batch_request"]
