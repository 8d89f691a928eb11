"""The evaluation report's HTML: content, layout into clip windows, escaping, determinism."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.model.report import (
    AudioClip,
    ReportData,
    TimelineItem,
    VodTimeline,
    format_time,
    format_value,
    is_lower_better,
    render_html,
    render_report,
)

XSS = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\">"


def sample(**overrides: object) -> ReportData:
    vod = VodTimeline(
        vod_id="demo_03",
        title="Demo stream 3 & friends",
        items=[
            TimelineItem("transcript", 121.0, "okay chat, watch this jump", end_s=124.5),
            TimelineItem("gold", 125.2, "LUL he missed", detail="pair 3f2a / msg line 812"),
            TimelineItem("adapter", 125.2, "KEKW missed it", detail="p=0.93"),
            TimelineItem("base", 125.2, "That is an interesting jump."),
            TimelineItem("gold", 126.0, XSS),
            TimelineItem("gold", 300.0, "late message, outside every clip"),
        ],
        clips=[AudioClip("clips/demo 03 #1.wav", 120.0, 130.0)],
    )
    data = dict(
        title="dougchat eval <v1>",
        split_version="split-9c1e2d3f4a5b",
        provenance={
            "base model": "SmolLM2-135M-Instruct",
            "base checksum": "ab" * 32,
            "MLflow run": "http://127.0.0.1:5000/#/experiments/1/runs/abc",
            "adapter": "file:///warehouse/models/run1",
            "note": "javascript:alert(1)",
        },
        metrics=[
            {"vod_id": "all", "model": "base", "metric": "recall@1", "value": 0.10},
            {"vod_id": "all", "model": "adapter", "metric": "recall@1", "value": 0.25},
            {"vod_id": "all", "model": "base", "metric": "loss", "value": 3.2},
            {"vod_id": "all", "model": "adapter", "metric": "loss", "value": 3.5},
            {"vod_id": "demo_03", "model": "adapter", "metric": "recall@1", "value": 0.2},
            {"vod_id": "demo_03", "model": "base", "metric": "recall@1", "value": 0.2},
        ],
        checks=[
            {"name": "held_out_absent", "passed": True, "value": 0, "threshold": 0, "description": "no leak"},
            {"name": "recall_gain", "passed": False, "value": 0.012, "threshold": 0.05, "description": "a < b"},
        ],
        vods=[vod],
    )
    data.update(overrides)
    return ReportData(**data)  # type: ignore[arg-type]


class _Collect(HTMLParser):
    """Parses the page the way a browser tokenizer would: tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.in_script = False
        self.script = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.script += data
        else:
            self.text.append(data)


def parse(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    parser.close()
    return parser


def test_user_text_is_escaped_everywhere() -> None:
    page = render_html(sample())
    parsed = parse(page)
    scripts = [t for t, _ in parsed.tags if t == "script"]
    assert scripts == ["script"], "only the page's own script"
    assert [t for t, _ in parsed.tags if t == "img"] == []
    assert "__xss" not in parsed.script
    assert XSS in "".join(parsed.text), "the reply shows as its literal text"
    assert "&lt;script&gt;window.__xss" in page
    assert "dougchat eval &lt;v1&gt;" in page and "Demo stream 3 &amp; friends" in page
    # only http(s):// and file:// become links, never javascript:
    hrefs = [a.get("href") for t, a in parsed.tags if t == "a"]
    assert "http://127.0.0.1:5000/#/experiments/1/runs/abc" in hrefs
    assert "file:///warehouse/models/run1" in hrefs
    assert not any(h and h.startswith("javascript:") for h in hrefs)


def test_page_is_self_contained_with_a_csp() -> None:
    page = render_html(sample())
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag not in {"link", "iframe", "object", "embed"}
        if tag == "script":
            assert "src" not in attrs
    assert not re.search(r"(src|href)=\"https?://(?!127\.0\.0\.1:5000)", page), "no external resources"
    (csp,) = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert "script-src 'sha256-" in csp and "default-src 'none'" in csp


def test_items_go_into_clip_windows_and_other_moments() -> None:
    parsed = parse(render_html(sample()))
    (audio,) = [a for t, a in parsed.tags if t == "audio"]
    assert audio["src"] == "clips/demo%2003%20%231.wav"
    assert audio["preload"] == "metadata" and "controls" in audio
    text = "".join(parsed.text)
    window, other = text.split("other moments")
    assert "2:00 – 2:10" in window
    for expected in ("okay chat, watch this jump", "LUL he missed", "KEKW missed it", "That is an interesting jump."):
        assert expected in window
    assert "late message, outside every clip" in other and "late message" not in window
    # times are m:ss of the audio; seek offsets are relative to the clip start
    seeks = [a for t, a in parsed.tags if t == "a" and a.get("class") == "seek"]
    assert [s["data-seek"] for s in seeks] == ["1.000", "5.200", "6.000"]
    assert seeks[0]["href"] == "clips/demo%2003%20%231.wav#t=1.000"
    assert "→ 2:04" in window, "a transcript segment shows its end"
    assert "pair 3f2a / msg line 812" in window and "p=0.93" in window


def test_replies_at_one_moment_share_a_row_in_lane_order() -> None:
    page = render_html(sample())
    row = re.search(r'<tr data-t="5\.200">(.*?)</tr>', page).group(1)
    cells = re.findall(r'<td class="lane-(\w+)">(.*?)</td>', row)
    assert [lane for lane, _ in cells] == ["transcript", "gold", "adapter", "base"]
    assert cells[0][1] == "" and "LUL he missed" in cells[1][1]
    assert "KEKW missed it" in cells[2][1] and "interesting jump" in cells[3][1]


def test_lanes_without_items_get_no_column() -> None:
    vod = sample().vods[0]
    no_base = VodTimeline(vod.vod_id, vod.title, [i for i in vod.items if i.lane != "base"], vod.clips)
    page = render_html(sample(vods=[no_base]))
    assert 'class="lane-base"' not in page and 'class="lane-adapter"' in page


def test_metrics_pivot_and_mark_adapter_against_base() -> None:
    page = render_html(sample())
    metrics = re.search(r'<table class="metrics">.*?</table>', page).group(0)
    headers = re.findall(r"<thead>.*?</thead>", metrics)[0]
    assert headers.index("recall@1 ↑") < headers.index("loss ↓")
    groups = re.findall(r'<tbody data-vod="([^"]+)">', metrics)
    assert groups == ["all", "demo_03"], "overall first"
    overall = re.search(r'<tbody data-vod="all">(.*?)</tbody>', metrics).group(1)
    models = re.findall(r'<tr data-model="([^"]+)">', overall)
    assert models == ["base", "adapter"]
    adapter = re.search(r'<tr data-model="adapter">(.*?)</tr>', overall).group(1)
    recall, loss = re.findall(r'<td class="num ?(\w*)"[^>]*>([^<]*)', adapter)
    assert recall == ("better", "0.25 ") and loss == ("worse", "3.5 ")
    assert "✓ +0.15" in adapter and "✗ +0.3" in adapter
    tie = re.search(r'<tbody data-vod="demo_03">(.*?)</tbody>', metrics).group(1)
    assert "better" not in tie and "worse" not in tie


def test_explicit_lower_is_better_overrides_the_name() -> None:
    page = render_html(sample(lower_is_better={"recall@1"}))
    adapter = re.search(r'<tbody data-vod="all">.*?<tr data-model="adapter">(.*?)</tr>', page).group(1)
    assert re.findall(r'<td class="num (\w+)"', adapter) == ["worse", "better"]
    assert is_lower_better("mean_rank") and not is_lower_better("mean_reciprocal_rank")
    assert is_lower_better("eval_loss") and not is_lower_better("bleu")


def test_checks_and_provenance() -> None:
    page = render_html(sample())
    assert "checks: 1 passed, 1 failed" in page
    assert re.search(r'<tr class="fail"><td>recall_gain</td><td><span class="outcome fail">FAIL</span>', page)
    assert re.search(r'<tr class="pass"><td>held_out_absent</td>', page)
    assert "<dt>split version</dt><dd>split-9c1e2d3f4a5b</dd>" in page
    assert f"<code>{'ab' * 32}</code>" in page


def test_render_report_writes_index_deterministically(tmp_path: Path) -> None:
    first = render_report(sample(), tmp_path / "a")
    second = render_report(sample(), tmp_path / "b")
    assert first == tmp_path / "a" / "index.html"
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["index.html"], "no temp file left behind"
    shuffled = sample(vods=[VodTimeline("demo_03", "Demo stream 3 & friends",
                                        list(reversed(sample().vods[0].items)), sample().vods[0].clips)])
    assert render_html(shuffled) == first.read_text(encoding="utf-8"), "item order in the data does not matter"


def test_formatting() -> None:
    assert [format_time(s) for s in (0, 59.99, 61.5, 3725, -2.5)] == ["0:00", "0:59", "1:01", "62:05", "-0:02"]
    assert [format_value(v) for v in (0.123456, 3, True, None, float("nan"), 123456.7, "x")] == [
        "0.1235", "3", "yes", "—", "n/a", "123457", "x"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"vods": [VodTimeline("v", "t", [TimelineItem("chat", 1.0, "x")], [])]}, "vods[v].items[0].lane"),
        ({"vods": [VodTimeline("v", "t", [TimelineItem("gold", float("nan"), "x")], [])]}, "vods[v].items[0].audio_s"),
        ({"vods": [VodTimeline("v", "t", [TimelineItem("transcript", 5.0, "x", end_s=4.0)], [])]},
         "vods[v].items[0].end_s"),
        ({"vods": [VodTimeline("v", "t", [], [AudioClip("c.wav", 5.0, 5.0)])]}, "vods[v].clips[0]"),
        ({"vods": [VodTimeline("v", "t", [], [AudioClip("/abs/c.wav", 0.0, 5.0)])]}, "vods[v].clips[0].path"),
        ({"vods": [VodTimeline("v", "t", [], []), VodTimeline("v", "t", [], [])]}, "vods"),
        ({"metrics": [{"vod_id": "all", "model": "base", "metric": "m"}]}, "metrics[0].value"),
        ({"metrics": [{"vod_id": "all", "model": "base", "metric": "m", "value": 1}] * 2}, "metrics[1]"),
        ({"checks": [{"name": "c"}]}, "checks[0].passed"),
    ],
)
def test_bad_data_raises_input_error(overrides: dict, field: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        render_report(sample(**overrides), tmp_path)
    assert caught.value.field == field
    assert not (tmp_path / "index.html").exists()
