"""The fixtures every browser test shares: the built website served on 127.0.0.1 and one
Chromium (both from ``tools/book_site.py``, which ``make pdf`` uses too)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from book_site import chromium, serve  # noqa: E402
from site_pages import CHROMIUM, SITE  # noqa: E402


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The built website, served by a thread on 127.0.0.1 (a free port)."""
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless (a missing browser fails the test, saying how to install it)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no browser at {CHROMIUM}: `apt-get install chromium` (as .ci/run does)")
    with chromium() as b:
        yield b
