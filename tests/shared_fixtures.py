"""Where the shared fixtures live (`../shared/fixtures` beside the repository), and a marker for
tests that need them: without the folder (a clone on its own) those tests skip with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "fixtures"
PAGES = SHARED / "pages"
KIE = SHARED / "kie"


def needs(folder: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not folder.is_dir(),
        reason=f"the shared fixtures are not checked out beside the repo ({folder})",
    )


needs_pages = needs(PAGES)

__all__ = ["KIE", "PAGES", "SHARED", "needs", "needs_pages"]
