"""The reviewer in a real headless Chromium: seek, chat follows, nudge, flag, save -> override file.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``: it
downloads a browser, which cannot work offline).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from dougchat_assets.review import serve
from dougchat_assets.review.curve import Knot, map_audio_to_chat, map_chat_to_audio
from dougchat_assets.align.override import override_path
from dougchat_assets_tests.browser import chromium
from dougchat_assets_tests.review.conftest import ReviewWarehouse

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def page(warehouse: ReviewWarehouse) -> Iterator[Page]:
    server = serve(warehouse.layout, None).start()
    try:
        with chromium() as browser:
            # bypass_csp: the page forbids eval, which is how playwright runs the checks below.
            tab = browser.new_page(viewport={"width": 1280, "height": 860}, bypass_csp=True)
            tab.set_default_timeout(10_000)
            tab.audio_statuses = []  # type: ignore[attr-defined]
            tab.on("response", lambda r: tab.audio_statuses.append(r.status) if "/audio/" in r.url else None)
            tab.errors = []  # type: ignore[attr-defined]
            tab.on("pageerror", lambda e: tab.errors.append(str(e)))
            tab.goto(server.url)
            yield tab
    finally:
        server.shutdown()


def _seek(page: Page, seconds: float) -> float:
    """Seek the player the way its own controls do, and return where it landed."""
    return page.evaluate(
        """(s) => new Promise((resolve) => {
            const a = document.getElementById('player');
            a.addEventListener('seeked', () => requestAnimationFrame(() => resolve(a.currentTime)), {once: true});
            a.currentTime = s;
        })""",
        seconds,
    )


def _current_row(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const list = document.getElementById('chat');
            const row = list.querySelector('li.current');
            const next = row.nextElementSibling;
            const box = row.getBoundingClientRect(), view = list.getBoundingClientRect();
            return {
                msgId: row.dataset.msgId, chatMs: Number(row.dataset.chatMs), audioS: Number(row.dataset.audioS),
                nextAudioS: next && next.dataset.audioS ? Number(next.dataset.audioS) : null,
                visible: box.top >= view.top && box.bottom <= view.bottom, scrollTop: list.scrollTop,
            };
        }"""
    )


def test_review_page_end_to_end(page: Page, warehouse: ReviewWarehouse) -> None:
    knots = warehouse.knots
    page.wait_for_function("document.querySelectorAll('#chat li[data-audio-s]').length >= 250")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert page.locator("#curve-badge").inner_text().startswith("estimate")
    assert page.locator("#curve circle.knot").count() == 3

    # Seek: the chat list follows to the messages at that audio time.
    t = _seek(page, 10.0)
    assert abs(t - 10.0) < 0.05
    row = _current_row(page)
    assert row["audioS"] <= t < row["nextAudioS"]
    assert row["visible"] and row["scrollTop"] > 0
    assert row["audioS"] == pytest.approx(float(map_chat_to_audio(knots, [row["chatMs"]])[0]), abs=1e-6)
    assert 206 in page.audio_statuses, "the player should have fetched audio with Range requests"

    # Nudge +1 s by button, then +0.25 s by keyboard: both move the same new knot (they accumulate).
    page.click('button[data-nudge="1"]')
    page.locator("body").press("k")
    moved = page.evaluate(f"Number(document.querySelector('#chat li[data-msg-id=\"{row['msgId']}\"]').dataset.audioS)")
    assert moved > row["audioS"] + 1.0, "chat should re-flow later after a + nudge"
    assert page.locator("#dirty").is_visible()

    # Flag 10 s .. 12 s with a note.
    page.click("#flag-start")
    _seek(page, 12.0)
    page.click("#flag-end")
    page.fill("#flag-note", "chat looks early here")
    page.click("#flag-add")
    assert page.locator("#flag-list li").count() == 1

    page.fill("#reviewer", "tester")
    page.fill("#note", "checked the first 20 s")
    page.click("#save")
    page.wait_for_function("document.getElementById('save-status').dataset.savedAt")
    assert page.locator("#curve-badge").inner_text().startswith("override")
    assert not page.locator("#dirty").is_visible()

    saved = tomllib.loads(override_path(warehouse.layout.overrides_dir, warehouse.vod_id).read_text())
    assert saved["vod_id"] == warehouse.vod_id and saved["reviewer"] == "tester"
    assert saved["note"] == "checked the first 20 s"
    expected_chat = round(map_audio_to_chat(knots, t))
    expected_audio = float(map_chat_to_audio(knots, [expected_chat])[0]) + 1.25
    file_knots = [Knot(k["chat_utc_ms"], k["audio_s"]) for k in saved["knots"]]
    assert len(file_knots) == 4
    assert set(knots) < set(file_knots), "the estimate's knots stay, the nudge adds one"
    (new_knot,) = set(file_knots) - set(knots)
    assert abs(new_knot.chat_utc_ms - expected_chat) <= 1
    assert new_knot.audio_s == pytest.approx(expected_audio, abs=1e-5)

    (flag,) = saved["flags"]
    assert flag["note"] == "chat looks early here"
    assert abs(flag["chat_utc_ms_start"] - round(map_audio_to_chat(file_knots, t))) <= 1
    assert abs(flag["chat_utc_ms_end"] - round(map_audio_to_chat(file_knots, 12.0))) <= 1

    # Chat bodies are text, never markup.
    assert page.evaluate("window.__xss") is None
    assert "<img" in page.locator('#chat li[data-msg-id="demo_01-m0150"] .b').inner_text()

    # The picker switches VOD; one without a curve starts from the default (slope 1 from the VOD start).
    page.select_option("#vod-select", warehouse.other_vod_id)
    page.wait_for_function("document.getElementById('curve-badge').textContent.startsWith('default')")
    page.wait_for_function("document.querySelectorAll('#chat li[data-audio-s]').length === 20")
    # its chat was sent 2.0 .. 0.48 s before the VOD start, so it maps before audio 0 (slope 1)
    first = page.locator("#chat li[data-audio-s]").first
    assert float(first.get_attribute("data-audio-s")) == pytest.approx(-2.0)
    assert page.locator("#chat li.outside").count() == 20
    assert page.errors == []
