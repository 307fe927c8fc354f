"""`/bulk`: start a batch from a CSV or JSON rows, follow it, cancel it, export its results."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from tests.http.conftest import Api, Caller

CSV = (
    "\ufeffurl,model,script\r\n"
    "https://shop.example.com/p/1,afp-local,\r\n"
    'https://shop.example.com/p/2,,"Hook, then body"\r\n'
)


async def upload(api: Api, caller: Caller, text: str | bytes, **headers: str) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return await api.client.post(
        "/bulk/start-batch",
        files={"file": ("batch.csv", data, "text/csv")},
        data={"model": "afp-local"},
        headers={**caller.headers, **headers},
    )


async def started(api: Api, caller: Caller) -> str:
    answer = await upload(api, caller, CSV)
    assert answer.status_code == 202, answer.text
    batch_id: str = answer.json()["batch_id"]
    return batch_id


async def test_a_csv_upload_reserves_the_batch_and_queues_one_item_per_row(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await upload(api, caller, CSV)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["status"], body["total_items"], body["credits_reserved"]) == ("RUNNING", 2, 2)
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 2
    status = await api.client.get(f"/bulk/batch/{body['batch_id']}/status", headers=caller.headers)
    assert status.status_code == 200
    found = status.json()
    assert found["progress"]["total"] == found["progress"]["pending"] == 2
    assert [(i["line"], i["url"], i["status"]) for i in found["items"]] == [
        (2, "https://shop.example.com/p/1", "PENDING"),
        (3, "https://shop.example.com/p/2", "PENDING"),
    ]


async def test_json_rows_start_a_batch_too(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post(
        "/bulk/start-batch",
        json={"rows": [{"url": "https://shop.example.com/p/1"}], "model": "afp-local"},
        headers=caller.headers,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["total_items"] == 1


async def test_bad_rows_are_each_named_by_line_and_column_and_nothing_is_spent(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    unreadable = "url,model\nhttps://shop.example.com/p/1,\n,afp-local\nhttps://x.test/3,a,b\n"
    answer = await upload(api, caller, unreadable)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "validation_error"
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(3, "url"), (4, "row")]
    unpriceable = (
        "url,model\n"
        "https://shop.example.com/p/1,\n"
        "ftp://shop.example.com/p/2,\n"
        ",\n"  # an empty spreadsheet row: skipped
        "https://shop.example.com/p/4,no-such-model\n"
    )
    problem = (await upload(api, caller, unpriceable)).json()
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(3, "url"), (5, "model")]
    assert all(e["message"] for e in problem["errors"])
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0


async def test_a_bad_json_row_is_a_field_error(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post(
        "/bulk/start-batch",
        json={"rows": [{"url": "https://shop.example.com/p/1", "colour": "red"}]},
        headers=caller.headers,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "rows.0.colour"


async def test_a_csv_that_is_not_utf8_or_too_large_or_sent_as_text_is_refused(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    latin1 = await upload(api, caller, "url,script\nhttps://a.test/1,caf\xe9\n".encode("latin-1"))
    assert latin1.status_code == 422
    assert "UTF-8" in latin1.json()["detail"]
    big = "url\n" + "".join(f"https://shop.example.com/{n}/{'x' * 1500}\n" for n in range(1000))
    assert 1024 * 1024 < len(big) < 2 * 1024 * 1024  # above the JSON cap, under the CSV one
    assert (await upload(api, caller, big)).status_code == 402  # read, priced, not affordable
    huge = "url\n" + "https://shop.example.com/p/" + "x" * (2 * 1024 * 1024) + "\n"
    assert (await upload(api, caller, huge)).status_code == 413
    plain = await api.client.post(
        "/bulk/start-batch",
        content=b"url\nhttps://a.test/1\n",
        headers={**caller.headers, "Content-Type": "text/plain"},
    )
    assert plain.status_code == 415


async def test_a_batch_the_credits_do_not_cover_is_402(api: Api) -> None:
    caller = await api.sign_up(credits=1)
    answer = await upload(api, caller, CSV)
    assert answer.status_code == 402
    assert answer.json()["code"] == "insufficient_credits"


async def test_the_same_idempotency_key_replays_the_first_batch(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    first = await upload(api, caller, CSV, **{"Idempotency-Key": "batch-1"})
    second = await upload(api, caller, CSV, **{"Idempotency-Key": "batch-1"})
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len(api.world.db.tables.batches) == 1
    other = await upload(
        api, caller, CSV + "https://shop.example.com/p/3,,\r\n", **{"Idempotency-Key": "batch-1"}
    )
    assert other.status_code == 409


async def test_cancel_releases_every_open_item(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    batch_id = await started(api, caller)
    answer = await api.client.post(f"/bulk/batch/{batch_id}/cancel", headers=caller.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "batch_id": batch_id,
        "status": "CANCELLED",
        "items_cancelled": 2,
        "credits_released": 2,
    }
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0


async def test_results_csv_has_one_row_per_item(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    batch_id = await started(api, caller)
    await api.client.post(f"/bulk/batch/{batch_id}/cancel", headers=caller.headers)
    answer = await api.client.get(f"/bulk/batch/{batch_id}/results.csv", headers=caller.headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["line"], r["status"], r["error"], r["credits_charged"]) for r in rows] == [
        ("2", "CANCELLED", "batch cancelled", "0"),
        ("3", "CANCELLED", "batch cancelled", "0"),
    ]
    assert list(rows[0]) == [
        "line",
        "url",
        "status",
        "video_id",
        "video_url",
        "error",
        "credits_charged",
        "attempts",
        "variant",
    ]


async def test_another_users_batch_is_not_found(api: Api) -> None:
    owner = await api.sign_up(credits=5)
    other = await api.sign_up(credits=5)
    batch_id = await started(api, owner)
    for method, path in (
        ("GET", f"/bulk/batch/{batch_id}/status"),
        ("POST", f"/bulk/batch/{batch_id}/cancel"),
        ("GET", f"/bulk/batch/{batch_id}/results.csv"),
    ):
        answer = await api.client.request(method, path, headers=other.headers)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"


async def test_a_quote_prices_each_row_and_holds_nothing(api: Api) -> None:
    caller = await api.sign_up(credits=1)
    answer = await api.client.post(
        "/bulk/quote",
        files={"file": ("batch.csv", CSV.encode(), "text/csv")},
        data={"model": "afp-local", "budget": "5"},
        headers=caller.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "rows": [
            {"line": 2, "url": "https://shop.example.com/p/1", "price": 1, "variants": 1},
            {"line": 3, "url": "https://shop.example.com/p/2", "price": 1, "variants": 1},
        ],
        "total_items": 2,
        "total": 2,
        "available": 1,
        "affordable": False,
        "budget": 5,
        "within_budget": True,
    }
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0
    bad = await api.client.post(
        "/bulk/quote", json={"rows": [{"url": "ftp://x.test/1"}]}, headers=caller.headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["line"] == 1


async def test_a_batch_over_its_budget_is_a_422_naming_the_budget(api: Api) -> None:
    caller = await api.sign_up(credits=50)
    answer = await api.client.post(
        "/bulk/start-batch",
        json={
            "rows": [{"url": f"https://shop.example.com/p/{n}"} for n in range(3)],
            "model": "afp-local",
            "budget": 2,
        },
        headers=caller.headers,
    )
    assert answer.status_code == 422
    assert (answer.json()["code"], answer.json()["needed"], answer.json()["budget"]) == (
        "budget_exceeded",
        3,
        2,
    )
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0


async def test_failed_items_are_retried_once_per_idempotency_key(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    api.world.scraper.blocked.add("https://shop.example.com/p/2")
    batch_id = await started(api, caller)
    await api.world.run_jobs()
    api.world.scraper.blocked.clear()
    path = f"/bulk/batch/{batch_id}/retry"
    headers = {**caller.headers, "Idempotency-Key": "retry-1"}
    first = await api.client.post(path, headers=headers)
    again = await api.client.post(path, headers=headers)
    assert first.status_code == again.status_code == 202, first.text
    assert first.json() == again.json()
    assert (first.json()["items_retried"], first.json()["credits_reserved"]) == (1, 1)
    await api.world.run_jobs()
    status = (await api.client.get(f"/bulk/batch/{batch_id}/status", headers=caller.headers)).json()
    assert status["status"] == "COMPLETED"
    assert status["credits"] == {"reserved": 3, "captured": 2, "released": 1, "held": 0}
    assert status["eta_s"] == 0
    nothing = await api.client.post(path, headers=caller.headers)
    assert nothing.status_code == 409


async def test_results_zip_holds_one_stored_video_per_completed_item(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    api.world.scraper.blocked.add("https://shop.example.com/p/2")
    batch_id = await started(api, caller)
    await api.world.run_jobs()
    answer = await api.client.get(f"/bulk/batch/{batch_id}/results.zip", headers=caller.headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert len(names) == 1 and names[0].startswith("line-0002-")
        info = archive.getinfo(names[0])
        assert info.compress_type == zipfile.ZIP_STORED and info.file_size > 0
        assert archive.testzip() is None
    other = await api.sign_up(credits=1)
    hidden = await api.client.get(f"/bulk/batch/{batch_id}/results.zip", headers=other.headers)
    assert hidden.status_code == 404


async def test_a_csv_with_scripts_and_variants_makes_one_video_per_variant(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    text = (
        "url,variants,script\r\n"
        "https://shop.example.com/p/1,3,\r\n"
        'https://shop.example.com/p/2,,"Quiet kettle. Boils fast, pours clean."\r\n'
    )
    files = {"file": ("batch.csv", text.encode(), "text/csv")}
    quote = await api.client.post(
        "/bulk/quote", files=files, data={"model": "afp-local"}, headers=caller.headers
    )
    assert quote.status_code == 200, quote.text
    assert [(r["line"], r["price"], r["variants"]) for r in quote.json()["rows"]] == [
        (2, 3, 3),
        (3, 1, 1),
    ]
    assert (quote.json()["total"], quote.json()["total_items"]) == (4, 4)
    answer = await upload(api, caller, text)
    assert answer.status_code == 202, answer.text
    assert (answer.json()["total_items"], answer.json()["credits_reserved"]) == (4, 4)
    batch_id = answer.json()["batch_id"]
    await api.world.run_jobs()
    found = await api.client.get(f"/bulk/batch/{batch_id}/results.csv", headers=caller.headers)
    rows = list(csv.DictReader(io.StringIO(found.text)))
    assert [(r["line"], r["variant"], r["status"]) for r in rows] == [
        ("2", "1", "SUCCEEDED"),
        ("2", "2", "SUCCEEDED"),
        ("2", "3", "SUCCEEDED"),
        ("3", "1", "SUCCEEDED"),
    ]
    scripts = [
        (await api.world.video(r["video_id"])).spec.script_text  # type: ignore[arg-type]
        for r in rows
    ]
    assert len(set(scripts[:3])) == 3
    assert scripts[3] == "Quiet kettle. Boils fast, pours clean."


async def test_a_bad_variants_cell_is_a_422_naming_its_line(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    answer = await upload(api, caller, "url,variants\r\nhttps://shop.example.com/p/1,9\r\n")
    assert answer.status_code == 422, answer.text
    assert "variants" in answer.text and "from 1 to 5" in answer.text
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0
