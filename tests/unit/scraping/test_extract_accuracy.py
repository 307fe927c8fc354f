"""Every saved page of `../shared/fixtures/pages` scored against its MANIFEST.tsv row, with
the bench's own scoring (`bench.scrape`), so the figures printed by the bench are these."""

import pytest
from bench.scrape import pages_dir, score_all

PAGES = pages_dir()
pytestmark = pytest.mark.skipif(
    PAGES is None,
    reason="../shared/fixtures/pages (MANIFEST.tsv) is not checked out beside the repo",
)


def test_at_least_95_percent_of_expected_fields_are_right_and_amazon_is_exact() -> None:
    assert PAGES is not None
    checks = score_all(PAGES)
    misses = [c for c in checks if not c.ok]
    report = "\n".join(
        f"{c.file} {c.field}: expected {c.expected!r}, got {c.got!r}" for c in misses
    )
    right = len(checks) - len(misses)
    assert right / len(checks) >= 0.95, f"{right}/{len(checks)} right; misses:\n{report}"
    amazon_misses = [c for c in misses if c.file.startswith("amazon_")]
    assert not amazon_misses, report
    assert {c.file for c in checks} >= {
        "amazon_captcha_1.html",
        "globalindustrial_us_T9F432251.html",
    }
