"""Helpers of the website checks (tests/browser): the repository root, the pages of _toc.yml
(from ``tools/book_site.py``, which ``make pdf`` shares) and the built website.

These checks need a built site, a browser or a package index, so they run from their own
Makefile targets (`make site-test`, `make binder-test`, `make pdf`), not from `make unit`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from book_site import CHROMIUM, ROOT, is_notebook, source_of, toc_pages  # noqa: E402

__all__ = ["CHROMIUM", "ROOT", "SITE", "is_notebook", "require_site", "source_of", "toc_pages"]

#: the built website (``D2L_SITE_HTML`` names another)
SITE = Path(os.environ.get("D2L_SITE_HTML", ROOT / "_build" / "html")).resolve()


def require_site() -> None:
    """Skip the calling test module when there is no built website, or fail with
    ``D2L_SITE_TEST=1`` (``make site-test``), where a missing site is an error."""
    if not (SITE / "index.html").is_file():
        if os.environ.get("D2L_SITE_TEST") == "1":
            raise RuntimeError(f"no website in {SITE}: run `make book-strict` first")
        pytest.skip(f"no website in {SITE}; build it, then `make site-test`",
                    allow_module_level=True)
