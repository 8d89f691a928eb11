"""The evaluation report in a real headless Chromium, opened from disk (``file://``) as a reader would.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``: it
downloads a browser, which cannot work offline).
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from dougchat_assets.model.report import AudioClip, ReportData, TimelineItem, VodTimeline, render_report
from dougchat_assets_tests.browser import chromium

pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

CLIP_SECONDS = 3.0


def write_sine_wav(path: Path, seconds: float, rate: int = 16_000, hz: float = 440.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * hz * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


def report(folder: Path) -> Path:
    write_sine_wav(folder / "clips" / "demo_01_0010.wav", CLIP_SECONDS)
    write_sine_wav(folder / "clips" / "demo_02_0000.wav", CLIP_SECONDS, hz=330.0)
    first = VodTimeline(
        vod_id="demo_01",
        title="Demo 1: the jump",
        items=[
            TimelineItem("transcript", 10.2, "okay chat watch this jump", end_s=11.8),
            TimelineItem("gold", 11.9, "LUL", detail="pair 3f2a / msg line 812"),
            TimelineItem("gold", 11.9, "<script>window.__xss = 1</script>"),
            TimelineItem("adapter", 11.9, "KEKW he missed", detail="rank 1 of 20"),
            TimelineItem("base", 11.9, "What an interesting jump!"),
            TimelineItem("gold", 12.4, "<img src=x onerror=\"window.__xss = 2\">"),
            TimelineItem("gold", 95.0, "much later, no clip here"),
        ],
        clips=[AudioClip("clips/demo_01_0010.wav", 10.0, 10.0 + CLIP_SECONDS)],
    )
    second = VodTimeline(
        vod_id="demo_02",
        title="Demo 2",
        items=[
            TimelineItem("transcript", 0.5, "hello everyone", end_s=1.5),
            TimelineItem("gold", 2.0, "hi doug"),
            TimelineItem("adapter", 2.0, "hi doug HeyGuys"),
        ],
        clips=[AudioClip("clips/demo_02_0000.wav", 0.0, CLIP_SECONDS)],
    )
    metrics = []
    for vod_id, base, adapter in (("all", 0.10, 0.25), ("demo_01", 0.10, 0.30), ("demo_02", 0.12, 0.20)):
        metrics += [
            {"vod_id": vod_id, "model": "base", "metric": "recall@1", "value": base},
            {"vod_id": vod_id, "model": "adapter", "metric": "recall@1", "value": adapter},
            {"vod_id": vod_id, "model": "base", "metric": "loss", "value": 3.2},
            {"vod_id": vod_id, "model": "adapter", "metric": "loss", "value": 2.7},
        ]
    data = ReportData(
        title="dougchat eval: held-out VODs",
        split_version="split-9c1e2d3f4a5b",
        provenance={"base model": "SmolLM2-135M-Instruct", "base checksum": "ab" * 32,
                    "adapter": "file:///warehouse/models/run1", "MLflow run": "http://127.0.0.1:5000/#/runs/abc"},
        metrics=metrics,
        checks=[{"name": "held_out_absent", "passed": True, "value": 0, "threshold": 0,
                 "description": "no held-out VOD in training"},
                {"name": "recall_gain", "passed": False, "value": 0.01, "threshold": 0.05,
                 "description": "adapter must beat base"}],
        vods=[first, second],
    )
    return render_report(data, folder)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    index = report(tmp_path / "report")
    with chromium() as browser:
        # No bypass_csp: the page's own CSP must let its script and its file:// clips load.
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(10_000)
        tab.errors = []  # type: ignore[attr-defined]
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.console_errors = []  # type: ignore[attr-defined]
        tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
        tab.goto(index.as_uri())
        yield tab


def test_report_page_in_chromium(page: Page, tmp_path: Path) -> None:
    # Timelines: both VODs, all four lanes, rows in time order.
    assert page.locator("section.vod").count() == 2
    for lane in ("transcript", "gold", "adapter", "base"):
        assert page.locator(f"th.lane-{lane}").first.is_visible()
    first_vod = page.locator('section.vod[data-vod="demo_01"]')
    assert first_vod.locator("td.time").all_inner_texts() == ["0:10", "0:11", "0:12", "1:35"]
    row = first_vod.locator('tr[data-t="1.900"]')
    assert row.locator("td.lane-adapter").inner_text().startswith("KEKW he missed")
    assert row.locator("td.lane-base").inner_text() == "What an interesting jump!"
    assert "much later, no clip here" in first_vod.locator("section.window.other").inner_text()

    # Metrics: both models, adapter marked better than base (recall up, loss down).
    overall = page.locator('table.metrics tbody[data-vod="all"]')
    assert overall.locator("tr").evaluate_all("rows => rows.map(r => r.dataset.model)") == ["base", "adapter"]
    assert overall.locator('tr[data-model="adapter"] td.better').count() == 2
    assert page.locator("table.checks .outcome.fail").inner_text() == "FAIL"

    # Audio: every clip loads its metadata, with the clip's duration.
    page.wait_for_function("() => [...document.querySelectorAll('audio')].every(a => a.readyState >= 1)")
    durations = page.evaluate("[...document.querySelectorAll('audio')].map(a => a.duration)")
    assert durations == [pytest.approx(CLIP_SECONDS, abs=0.05)] * 2

    # Clicking a time seeks that window's audio to the moment (audio 11.9 s = 1.9 s into the clip).
    audio = first_vod.locator("section.window audio")
    audio.evaluate("a => { window.__seekedAt = null; a.addEventListener('seeked', () => "
                   "{ window.__seekedAt = a.currentTime; }, {once: true}); }")
    row.locator("a.seek").click()
    page.wait_for_function("() => window.__seekedAt !== null")
    assert page.evaluate("window.__seekedAt") == pytest.approx(1.9, abs=0.05)
    assert page.url.endswith("index.html"), "the click seeks in place instead of following the link"
    page.wait_for_function("() => document.querySelector('tr.now') !== null")

    # Chat is text: the injected markup shows literally and never runs.
    assert page.evaluate("window.__xss") is None
    gold = row.locator("td.lane-gold").inner_text()
    assert "<script>window.__xss = 1</script>" in gold
    assert "<img src=x" in first_vod.locator('tr[data-t="2.400"] td.lane-gold').inner_text()
    assert page.locator("section.vod img").count() == 0

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.errors == []
    assert not [m for m in page.console_errors if "Content Security Policy" in m]
