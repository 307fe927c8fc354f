"""Run every benchmark and print one line per figure."""

from __future__ import annotations

import asyncio

from bench import batch, http, ledger, pipeline, scrape, soak


def main() -> None:
    print("AFP benchmarks (in-memory reference adapters; the SQL ledger on PostgreSQL)")
    asyncio.run(ledger.run())
    asyncio.run(pipeline.run())
    scrape.run()
    http.run()
    soak.run()
    batch.run()  # last: it turns logging down to warnings for the process


if __name__ == "__main__":
    main()
