"""Run every benchmark and print one line per figure."""

from __future__ import annotations

import asyncio

from bench import ledger, pipeline


def main() -> None:
    print("AFP benchmarks (in-memory reference adapters; SQL ones arrive with the SQL adapters)")
    asyncio.run(ledger.run())
    asyncio.run(pipeline.run())


if __name__ == "__main__":
    main()
