"""Headless Debian Chromium for the browser tests (reviewer, eval report, Dagster UI).

Never ``playwright install``: it downloads its own browser, which cannot work offline.  The
tests drive Debian's ``chromium`` through the ``playwright`` package and skip, saying why,
when either is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium")
try:
    from playwright.sync_api import Browser, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

ARGS = [
    "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]


def require_chromium() -> None:
    """Skip the calling test, saying why, unless Debian's chromium and playwright are both here.

    Separate from :func:`chromium` so a fixture that starts something costly (the Dagster
    webserver) can skip before starting it.
    """
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install -y chromium)")
    if sync_playwright is None:
        pytest.skip("playwright is not installed (pip install playwright; do not run `playwright install`)")


@contextmanager
def chromium() -> Iterator[Browser]:
    """A launched headless Chromium (skips the test when the browser or playwright is missing)."""
    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
