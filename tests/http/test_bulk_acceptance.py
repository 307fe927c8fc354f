"""Issue 9's acceptance: a 1,000-row CSV with good, bad, duplicate and blocked rows."""

from __future__ import annotations

import csv
import io

from tests.http.conftest import Api, Caller

PRICE = 1  # afp-local, 8 s
BASE = "https://shop.example.com/products"


def thousand_rows() -> tuple[str, set[int], set[int]]:
    """A semicolon separated CSV with a BOM: 1,000 rows; every 50th row is not an http(s) URL,
    every 40th (not also 50th) repeats the row above it, every 7th page blocks the scraper.
    Returns the CSV, the lines that are bad and the lines whose page is blocked."""
    lines = ["\ufeffurl;model;notes"]
    bad: set[int] = set()
    blocked: set[int] = set()
    for n in range(1, 1001):
        line = n + 1  # the header is line 1
        if n % 50 == 0:
            lines.append(f"ftp://shop.example.com/{n};;")
            bad.add(line)
        elif n % 40 == 0:
            lines.append(f"{BASE}/p-{n - 1};;a duplicate")
            bad.add(line)
        else:
            lines.append(f"{BASE}/p-{n};afp-local;")
            if n % 7 == 0:
                blocked.add(line)
    return "\r\n".join(lines) + "\r\n", bad, blocked


async def upload(api: Api, caller: Caller, path: str, text: str) -> object:
    return await api.client.post(
        path,
        files={"file": ("batch.csv", text.encode(), "text/csv")},
        data={"model": "afp-local"},
        headers=caller.headers,
    )


async def test_a_thousand_row_csv_lists_exactly_its_bad_rows_then_runs_and_settles(
    api: Api,
) -> None:
    caller = await api.sign_up(credits=2_000)
    text, bad, blocked = thousand_rows()
    refused = await api.client.post(
        "/bulk/start-batch",
        files={"file": ("batch.csv", text.encode(), "text/csv")},
        data={"model": "afp-local"},
        headers=caller.headers,
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert {e["line"] for e in problem["errors"]} == bad
    duplicates = [e for e in problem["errors"] if "duplicate" in e["message"]]
    assert len(duplicates) == len([n for n in range(1, 1001) if n % 40 == 0 and n % 50])
    credits = (await api.client.get("/credits", headers=caller.headers)).json()
    assert (credits["balance"], credits["reserved"]) == (2_000, 0)  # nothing was spent

    records = text.removeprefix("\ufeff").split("\r\n")
    good_text = "\r\n".join(r for i, r in enumerate(records, start=1) if i not in bad)
    good = 1000 - len(bad)
    quote = await api.client.post(
        "/bulk/quote",
        files={"file": ("batch.csv", good_text.encode(), "text/csv")},
        data={"model": "afp-local"},
        headers=caller.headers,
    )
    assert quote.status_code == 200, quote.text
    assert (quote.json()["total_items"], quote.json()["total"]) == (good, good * PRICE)

    api.world.scraper.blocked.update(f"{BASE}/p-{line - 1}" for line in blocked)
    started = await api.client.post(
        "/bulk/start-batch",
        files={"file": ("batch.csv", good_text.encode(), "text/csv")},
        data={"model": "afp-local", "budget": str(good * PRICE)},
        headers=caller.headers,
    )
    assert started.status_code == 202, started.text
    batch_id = started.json()["batch_id"]
    assert started.json()["credits_reserved"] == good * PRICE
    await api.world.run_jobs(max_jobs=100_000)

    status = (await api.client.get(f"/bulk/batch/{batch_id}/status", headers=caller.headers)).json()
    completed = good - len(blocked)
    assert status["status"] == "PARTIAL"
    assert (status["progress"]["succeeded"], status["progress"]["failed"]) == (
        completed,
        len(blocked),
    )
    assert status["credits"] == {
        "reserved": good * PRICE,
        "captured": completed * PRICE,
        "released": len(blocked) * PRICE,
        "held": 0,
    }
    credits = (await api.client.get("/credits", headers=caller.headers)).json()
    assert (credits["balance"], credits["reserved"]) == (2_000 - completed * PRICE, 0)
    blocked_urls = {f"{BASE}/p-{line - 1}" for line in blocked}
    failed = {i["url"] for i in status["items"] if i["status"] == "FAILED"}
    assert failed == blocked_urls
    assert all("scrape_blocked" in i["error"] for i in status["items"] if i["url"] in failed)

    results = await api.client.get(f"/bulk/batch/{batch_id}/results.csv", headers=caller.headers)
    rows = list(csv.DictReader(io.StringIO(results.text)))
    assert len(rows) == good
    assert sum(1 for r in rows if r["status"] == "SUCCEEDED" and r["video_url"]) == completed
