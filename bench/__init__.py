"""Benchmarks and soak runs: `make bench` (never part of `make test`)."""
