"""The evaluation report: one self-contained HTML page a person reads to judge the model.

Numbers alone do not say whether a fine-tuned chat model *reacts* like chat does, so besides
the metrics table (base vs adapter, per held-out VOD and overall), the check outcomes and the
provenance, the page lays out each test VOD as a timeline: what was said (transcript), what
real chat wrote (gold), and what the model wrote (adapter, optionally base), side by side in
audio time, grouped into windows that each carry a playable clip.  A reader hears a moment
and sees the replies to it.

The page must open offline from a folder (``file://``) and be moved or archived with its
clips: all CSS is inline, there are no external fonts or scripts, clip paths are relative,
and the one small inline script (click a time to seek, highlight the row being heard) is
optional: without JavaScript every time is a plain link to the clip at that offset.  Chat is
user input, so every string is HTML-escaped, and a Content-Security-Policy allows only the
page's own script by hash as a second line of defence.  Rendering is deterministic (no
timestamps, stable ordering): the same data gives identical bytes, so re-runs do not churn.

Pure logic: no Dagster, no torch.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_write_text

LANES: tuple[str, ...] = ("transcript", "gold", "adapter", "base")
LANE_LABELS: Mapping[str, str] = {
    "transcript": "said (transcript)",
    "gold": "real chat (gold)",
    "adapter": "model + adapter",
    "base": "base model",
}
#: Substrings of metric names where a smaller value is better (used when the data does not
#: say).  ``reciprocal`` wins over ``rank``: mean reciprocal rank is higher-is-better.
LOWER_IS_BETTER_HINTS: tuple[str, ...] = ("loss", "perplexity", "ppl", "rank", "wer", "error", "toxic")
_HIGHER_DESPITE_HINT = ("reciprocal", "mrr")
_DATA = "ReportData"  # the InputError "path": the bad input is the report data, not a file
_LINK_PREFIXES = ("http://", "https://", "file://")


@dataclass(frozen=True)
class TimelineItem:
    """One thing on the timeline: a transcript segment, a gold chat reply or a model reply."""

    lane: str  # "transcript" | "gold" | "adapter" | "base"
    audio_s: float  # when, in seconds of the VOD's audio
    text: str
    end_s: float | None = None  # transcript segments have an end
    detail: str | None = None  # e.g. "pair 3f2a.. / msg line 812", or "p=0.93"


@dataclass(frozen=True)
class AudioClip:
    """An audio file beside the report covering ``start_s``..``end_s`` of the VOD's audio."""

    path: str  # relative to the report folder, e.g. "clips/demo_03_0120.wav"
    start_s: float
    end_s: float


@dataclass(frozen=True)
class VodTimeline:
    vod_id: str
    title: str
    items: Sequence[TimelineItem]
    clips: Sequence[AudioClip]


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows.

    ``metrics`` is long form (``vod_id``, ``model``, ``metric``, ``value``; ``vod_id`` "all"
    is the overall row); ``checks`` rows carry ``name``, ``passed``, ``value``, ``threshold``,
    ``description``.  ``lower_is_better`` names the metrics where smaller wins; ``None``
    guesses from the name (:data:`LOWER_IS_BETTER_HINTS`).
    """

    title: str
    split_version: str
    provenance: Mapping[str, str]
    metrics: Sequence[Mapping[str, object]]
    checks: Sequence[Mapping[str, object]]
    vods: Sequence[VodTimeline]
    lower_is_better: Collection[str] | None = None


# --------------------------------------------------------------------------- formatting


def format_time(seconds: float) -> str:
    """Audio time as m:ss (minutes unbounded, so a 3 h VOD reads 183:07); floors to the second."""
    sign = "-" if seconds < 0 else ""
    whole = int(math.floor(abs(seconds)))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def format_value(value: object) -> str:
    """A metric or check value as short text: 4 significant digits, ints and text as they are."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def is_lower_better(metric: str, lower_is_better: Collection[str] | None = None) -> bool:
    """Whether a smaller value of ``metric`` is better (explicit list first, else the name)."""
    if lower_is_better is not None:
        return metric in lower_is_better
    name = metric.lower()
    if any(word in name for word in _HIGHER_DESPITE_HINT):
        return False
    return any(word in name for word in LOWER_IS_BETTER_HINTS)


def _link_or_text(value: str) -> str:
    if value.startswith(_LINK_PREFIXES):
        return f'<a href="{_e(value)}">{_e(value)}</a>'
    return f"<code>{_e(value)}</code>" if re.fullmatch(r"[0-9a-fA-F]{12,}", value) else _e(value)


def _clip_url(path: str) -> str:
    """Percent-encode a relative clip path for a ``src`` (spaces, ``#`` and ``?`` survive)."""
    return quote(path, safe="/")


# --------------------------------------------------------------------------- validation


def _validate(data: ReportData) -> None:
    seen: set[str] = set()
    for vod in data.vods:
        where = f"vods[{vod.vod_id}]"
        if vod.vod_id in seen:
            raise InputError(_DATA, f"VOD {vod.vod_id!r} appears twice", field="vods")
        seen.add(vod.vod_id)
        for index, item in enumerate(vod.items):
            field = f"{where}.items[{index}]"
            if item.lane not in LANES:
                raise InputError(_DATA, f"unknown lane {item.lane!r} (expected one of {', '.join(LANES)})",
                                 field=f"{field}.lane")
            if not math.isfinite(item.audio_s):
                raise InputError(_DATA, f"audio_s is {item.audio_s}", field=f"{field}.audio_s")
            if item.end_s is not None and not (math.isfinite(item.end_s) and item.end_s >= item.audio_s):
                raise InputError(_DATA, f"end_s {item.end_s} is before audio_s {item.audio_s}",
                                 field=f"{field}.end_s")
        for index, clip in enumerate(vod.clips):
            field = f"{where}.clips[{index}]"
            if not clip.path or PurePosixPath(clip.path).is_absolute() or PureWindowsPath(clip.path).is_absolute():
                raise InputError(_DATA, f"clip path {clip.path!r} must be relative to the report folder",
                                 field=f"{field}.path")
            if not (math.isfinite(clip.start_s) and math.isfinite(clip.end_s) and clip.end_s > clip.start_s):
                raise InputError(_DATA, f"clip covers {clip.start_s}..{clip.end_s} s: end must follow start",
                                 field=field)
    keys: set[tuple[str, str, str]] = set()
    for index, row in enumerate(data.metrics):
        for name in ("vod_id", "model", "metric", "value"):
            if name not in row:
                raise InputError(_DATA, f"metrics row has no {name!r}", field=f"metrics[{index}].{name}")
        key = (str(row["vod_id"]), str(row["model"]), str(row["metric"]))
        if key in keys:
            raise InputError(_DATA, f"metric {key[2]!r} for model {key[1]!r} on {key[0]!r} given twice",
                             field=f"metrics[{index}]")
        keys.add(key)
    for index, row in enumerate(data.checks):
        for name in ("name", "passed"):
            if name not in row:
                raise InputError(_DATA, f"checks row has no {name!r}", field=f"checks[{index}].{name}")


# --------------------------------------------------------------------------- sections


def _model_order(model: str) -> tuple[int, str]:
    return ({"base": 0, "adapter": 1}.get(model, 2), model)


def _vod_order(vod_id: str) -> tuple[int, str]:
    return (0 if vod_id == "all" else 1, vod_id)


def _render_metrics(rows: Sequence[Mapping[str, object]], lower_is_better: Collection[str] | None) -> str:
    """Pivot long-form metrics into one table: (VOD, model) rows x metric columns.

    Every non-base model's cell is compared with the base model's on the same VOD and metric
    and marked better/worse (colour plus a ✓/✗ and the signed difference, so it reads in
    grey-scale too).
    """
    if not rows:
        return '<p class="muted">No metrics were recorded.</p>'
    metrics: list[str] = []
    table: dict[str, dict[str, dict[str, object]]] = {}
    for row in rows:
        metric = str(row["metric"])
        if metric not in metrics:
            metrics.append(metric)
        table.setdefault(str(row["vod_id"]), {}).setdefault(str(row["model"]), {})[metric] = row["value"]
    lower = [m for m in metrics if is_lower_better(m, lower_is_better)]
    out = ['<table class="metrics"><thead><tr><th>VOD</th><th>model</th>']
    out += [f'<th>{_e(m)}{" ↓" if m in lower else " ↑"}</th>' for m in metrics]
    out.append("</tr></thead>")
    for vod_id in sorted(table, key=_vod_order):
        by_model = table[vod_id]
        models = sorted(by_model, key=_model_order)
        out.append(f'<tbody data-vod="{_e(vod_id)}">')
        for position, model in enumerate(models):
            out.append(f'<tr data-model="{_e(model)}">')
            if position == 0:
                label = "all held-out VODs" if vod_id == "all" else vod_id
                out.append(f'<th scope="rowgroup" rowspan="{len(models)}">{_e(label)}</th>')
            out.append(f'<td class="model">{_e(model)}</td>')
            for metric in metrics:
                out.append(_metric_cell(metric, by_model, model, metric in lower))
            out.append("</tr>")
        out.append("</tbody>")
    out.append("</table>")
    legend = ("↑ higher is better, ↓ lower is better; "
              '<span class="better">✓ better</span> / <span class="worse">✗ worse</span> than the base model '
              "on the same VOD.")
    return "".join(out) + f'<p class="legend">{legend}</p>'


def _metric_cell(metric: str, by_model: Mapping[str, Mapping[str, object]], model: str, lower: bool) -> str:
    if metric not in by_model[model]:
        return '<td class="num missing">—</td>'
    value = by_model[model][metric]
    text = _e(format_value(value))
    mine, base = _number(value), _number(by_model.get("base", {}).get(metric))
    if model == "base" or mine is None or base is None or mine == base:
        return f'<td class="num">{text}</td>'
    better = (mine < base) if lower else (mine > base)
    css, mark = ("better", "✓") if better else ("worse", "✗")
    delta = f"{mine - base:+.3g}"
    return (f'<td class="num {css}" title="base: {_e(format_value(base))}">{text}'
            f' <span class="delta">{mark} {_e(delta)}</span></td>')


def _render_checks(rows: Sequence[Mapping[str, object]]) -> str:
    if not rows:
        return '<p class="muted">No checks were recorded.</p>'
    out = ['<table class="checks"><thead><tr><th>check</th><th>outcome</th><th>value</th>'
           "<th>threshold</th><th>what it guards</th></tr></thead><tbody>"]
    for row in rows:
        passed = row["passed"]
        css, word = ("pass", "pass") if passed is True else ("fail", "FAIL") if passed is False else ("unknown", "—")
        out.append(
            f'<tr class="{css}"><td>{_e(row["name"])}</td><td><span class="outcome {css}">{word}</span></td>'
            f'<td class="num">{_e(format_value(row.get("value")))}</td>'
            f'<td class="num">{_e(format_value(row.get("threshold")))}</td>'
            f'<td>{_e(row.get("description") or "")}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _render_provenance(split_version: str, provenance: Mapping[str, str]) -> str:
    out = ['<dl class="provenance">', f"<dt>split version</dt><dd>{_link_or_text(split_version)}</dd>"]
    for label, value in provenance.items():
        out.append(f"<dt>{_e(label)}</dt><dd>{_link_or_text(str(value))}</dd>")
    out.append("</dl>")
    return "".join(out)


# --------------------------------------------------------------------------- timeline


def _windows(vod: VodTimeline) -> list[tuple[AudioClip | None, list[TimelineItem]]]:
    """Each clip with the items that start inside it ([start, end)), then the rest (clip None).

    An item in two overlapping clips goes to the earlier one, so nothing is shown twice.
    """
    clips = sorted(vod.clips, key=lambda c: (c.start_s, c.end_s, c.path))
    groups: list[list[TimelineItem]] = [[] for _ in clips]
    other: list[TimelineItem] = []
    for item in vod.items:
        for index, clip in enumerate(clips):
            if clip.start_s <= item.audio_s < clip.end_s:
                groups[index].append(item)
                break
        else:
            other.append(item)
    windows: list[tuple[AudioClip | None, list[TimelineItem]]] = list(zip(clips, groups))
    if other:
        windows.append((None, other))
    return windows


def _item_key(item: TimelineItem) -> tuple[float, str, str, float]:
    return (item.audio_s, item.text, item.detail or "", item.end_s if item.end_s is not None else -1.0)


def _rows(items: Iterable[TimelineItem]) -> list[tuple[float, dict[str, list[TimelineItem]]]]:
    """Items at the same moment (to the millisecond) share a row, so replies to one context line up."""
    rows: dict[float, dict[str, list[TimelineItem]]] = {}
    for item in sorted(items, key=_item_key):
        rows.setdefault(round(item.audio_s, 3), {}).setdefault(item.lane, []).append(item)
    return sorted(rows.items())


def _render_item(item: TimelineItem) -> str:
    parts = [f'<div class="item"><span class="text">{_e(item.text)}</span>']
    if item.end_s is not None:
        parts.append(f' <span class="until" title="ends at {item.end_s:.2f} s">→ {format_time(item.end_s)}</span>')
    if item.detail:
        parts.append(f'<span class="detail">{_e(item.detail)}</span>')
    parts.append("</div>")
    return "".join(parts)


def _render_window(vod_index: int, window_index: int, clip: AudioClip | None,
                   items: list[TimelineItem], lanes: Sequence[str]) -> str:
    anchor = f"v{vod_index}-w{window_index}"
    if clip is None:
        head = (f'<section class="window other" id="{anchor}"><h3>other moments '
                '<span class="muted">(outside every clip: no audio)</span></h3>')
    else:
        url = _e(_clip_url(clip.path))
        head = (f'<section class="window" id="{anchor}"><h3>{format_time(clip.start_s)} – {format_time(clip.end_s)}'
                f' <span class="muted">{_e(clip.path)}</span></h3>'
                f'<audio controls preload="metadata" src="{url}" data-start="{clip.start_s:.3f}"></audio>')
    if not items:
        return head + '<p class="muted">Nothing on the timeline in this window.</p></section>'
    out = [head, '<table class="timeline"><thead><tr><th class="time">audio</th>']
    out += [f'<th class="lane-{lane}">{_e(LANE_LABELS[lane])}</th>' for lane in lanes]
    out.append("</tr></thead><tbody>")
    for moment, cells in _rows(items):
        if clip is None:
            out.append(f'<tr><td class="time"><span title="{moment:.2f} s">{format_time(moment)}</span></td>')
        else:
            offset = max(0.0, moment - clip.start_s)
            out.append(
                f'<tr data-t="{offset:.3f}"><td class="time"><a class="seek" href="{_e(_clip_url(clip.path))}'
                f'#t={offset:.3f}" data-seek="{offset:.3f}" title="{moment:.2f} s of the VOD audio">'
                f"{format_time(moment)}</a></td>"
            )
        for lane in lanes:
            entries = cells.get(lane, [])
            out.append(f'<td class="lane-{lane}">{"".join(_render_item(i) for i in entries)}</td>')
        out.append("</tr>")
    out.append("</tbody></table></section>")
    return "".join(out)


def _render_vod(vod_index: int, vod: VodTimeline, lanes: Sequence[str]) -> str:
    counts = {lane: sum(1 for i in vod.items if i.lane == lane) for lane in lanes}
    summary = ", ".join(f"{counts[lane]} {LANE_LABELS[lane]}" for lane in lanes)
    out = [f'<section class="vod" id="vod-{vod_index}" data-vod="{_e(vod.vod_id)}">'
           f'<h2>{_e(vod.title)} <span class="muted">{_e(vod.vod_id)}</span></h2>'
           f'<p class="muted">{_e(summary)}; {len(vod.clips)} audio clip(s).</p>']
    windows = _windows(vod)
    if not windows:
        out.append('<p class="muted">Nothing to show for this VOD.</p>')
    out += [_render_window(vod_index, index, clip, items, lanes) for index, (clip, items) in enumerate(windows)]
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------- page

_CSS = """
:root{--ink:#1d2330;--muted:#6b7385;--line:#dde1e8;--bg:#f5f6f8;--panel:#fff;
--said:#eef0f4;--said-ink:#3c4558;--gold:#e5f5ea;--gold-ink:#1e7a3c;--adapter:#e6eefc;--adapter-ink:#2d5fc0;
--base:#fdf0e2;--base-ink:#a55a00;--good:#1e7a3c;--bad:#c0392b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
header{background:var(--ink);color:#fff;padding:12px 20px}
header h1{margin:0 0 4px;font-size:19px}
header p{margin:0;color:#c9d1e0}
header nav a{color:#fff;margin-right:12px}
main{padding:12px 20px 40px;max-width:1400px}
h2{font-size:17px;margin:24px 0 6px}
h3{font-size:14px;margin:0 0 6px}
.muted,.legend{color:var(--muted);font-weight:normal}
.legend{font-size:12px;margin:4px 0 0}
table{border-collapse:collapse;background:var(--panel)}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#eceff4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.metrics tbody[data-vod=all] th,.metrics tbody[data-vod=all] td{font-weight:600}
.better{color:var(--good)}
.worse{color:var(--bad)}
td.better{background:#e9f7ee}
td.worse{background:#fbeaea}
.delta{font-size:11px;font-weight:normal}
.outcome{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:600}
.outcome.pass{background:#d8f0e0;color:var(--good)}
.outcome.fail{background:#f8d7d7;color:var(--bad)}
.outcome.unknown{background:#e4e6eb;color:var(--muted)}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;background:var(--panel);
padding:8px 12px;border:1px solid var(--line);margin:0}
dl.provenance dt{color:var(--muted)}
dl.provenance dd{margin:0;overflow-wrap:anywhere}
section.vod{margin-top:28px}
section.window{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:10px 0}
section.window audio{width:100%;max-width:640px;height:36px;margin-bottom:6px;display:block}
table.timeline{width:100%;table-layout:fixed}
table.timeline th.time,table.timeline td.time{width:64px;white-space:nowrap;font-variant-numeric:tabular-nums}
table.timeline td{padding:3px 6px}
table.timeline tr.now td{box-shadow:inset 0 2px 0 #d63031}
.item{white-space:pre-wrap;overflow-wrap:anywhere;padding:1px 0}
.item+.item{border-top:1px dashed var(--line)}
.until,.detail{color:var(--muted);font-size:11px}
.detail{display:block}
th.lane-transcript{border-top:3px solid var(--said-ink)}
th.lane-gold{border-top:3px solid var(--gold-ink)}
th.lane-adapter{border-top:3px solid var(--adapter-ink)}
th.lane-base{border-top:3px solid var(--base-ink)}
td.lane-transcript:not(:empty){background:var(--said);color:var(--said-ink);font-style:italic}
td.lane-gold:not(:empty){background:var(--gold)}
td.lane-adapter:not(:empty){background:var(--adapter)}
td.lane-base:not(:empty){background:var(--base)}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
a.seek{font-weight:600;text-decoration:none}
a.seek:hover{text-decoration:underline}
"""

# Clicking a time seeks that window's audio and plays it; the row being heard is marked.
# Without JavaScript the time is still a link to the clip at that offset (#t= media fragment).
_SCRIPT = """
document.addEventListener('click', function (event) {
  var link = event.target.closest('a.seek');
  if (!link) return;
  var audio = link.closest('section').querySelector('audio');
  if (!audio) return;
  event.preventDefault();
  audio.currentTime = Number(link.dataset.seek);
  var playing = audio.play();
  if (playing) playing.catch(function () {});
});
document.querySelectorAll('section.window audio').forEach(function (audio) {
  var rows = audio.closest('section').querySelectorAll('tr[data-t]');
  audio.addEventListener('timeupdate', function () {
    var now = null;
    rows.forEach(function (row) {
      row.classList.remove('now');
      if (Number(row.dataset.t) <= audio.currentTime + 0.05) now = row;
    });
    if (now) now.classList.add('now');
  });
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
       "media-src 'self' file:; img-src 'self' data:; base-uri 'none'; form-action 'none'")


def render_html(data: ReportData) -> str:
    """The whole page as a string (validates the data first; raises InputError on bad input)."""
    _validate(data)
    lanes = [lane for lane in LANES if any(i.lane == lane for vod in data.vods for i in vod.items)]
    passed = sum(1 for row in data.checks if row["passed"] is True)
    failed = sum(1 for row in data.checks if row["passed"] is False)
    check_summary = f"checks: {passed} passed, {failed} failed" if data.checks else "no checks"
    nav = "".join(f'<a href="#vod-{i}">{_e(v.vod_id)}</a>' for i, v in enumerate(data.vods))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data.title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(data.title)}</h1>",
        f"<p>split {_e(data.split_version)} · {len(data.vods)} held-out VOD(s) · {_e(check_summary)}</p>",
        f"<nav>{nav}</nav></header><main>",
        '<section id="metrics"><h2>Metrics</h2>', _render_metrics(data.metrics, data.lower_is_better), "</section>",
        '<section id="checks"><h2>Checks</h2>', _render_checks(data.checks), "</section>",
        '<section id="provenance"><h2>Provenance</h2>',
        _render_provenance(data.split_version, data.provenance), "</section>",
        '<section id="timelines"><h2>Timelines</h2>',
        '<p class="muted">What was said, what chat wrote and what the model wrote, in audio time. '
        "Click a time to hear that moment.</p>",
    ]
    parts += [_render_vod(index, vod, lanes) for index, vod in enumerate(data.vods)]
    parts.append(f"</section></main><script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(parts)


def render_report(data: ReportData, out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path.

    Clip files are not copied or checked here: the caller puts them under ``out_dir`` at the
    relative paths named in the data.
    """
    page = render_html(data)
    target = Path(out_dir) / "index.html"
    atomic_write_text(target, page)
    return target
