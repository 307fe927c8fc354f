"""Run every benchmark and print one line per figure."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import sys

from bench import batch, http, ledger, pipeline, scrape, soak


def _soak_alone() -> None:
    """The soak in a process of its own, so its peak memory is its own, not what the earlier
    benches left in this one."""
    sys.stdout.flush()
    worker = mp.get_context("spawn").Process(target=soak.run)
    worker.start()
    worker.join()
    if worker.exitcode:
        raise SystemExit(f"the soak bench failed (exit {worker.exitcode})")


def main() -> None:
    print("AFP benchmarks (in-memory reference adapters; the SQL ledger on PostgreSQL)")
    asyncio.run(ledger.run())
    asyncio.run(pipeline.run())
    scrape.run()
    http.run()
    _soak_alone()
    batch.run()  # last: it turns logging down to warnings for the process


if __name__ == "__main__":
    main()
