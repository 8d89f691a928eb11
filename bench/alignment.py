"""Benchmark: chat<->audio alignment estimator vs a global cross-correlation baseline.

    python bench/alignment.py                # 24 simulated VODs + the 4 demo VODs (real ASR)
    python bench/alignment.py --n 40 --no-demo
    python bench/alignment.py --cache-dir /tmp/align-bench   # ASR chunks are reused from here

For each method it prints the median / p95 / max absolute error (seconds of audio) over all
chat messages (messages sent inside a true ad cut, which have no audio, are excluded), the
share of VODs whose checks pass, and the runtime; then the mismatched-pair case (the chat of
VOD i with the audio of VOD j), where the share of pairs that pass their checks must be 0.
A last block shows what a wrong lag prior costs (true latency 1 s slower than assumed):
the absolute offset cannot be separated from the reaction lag (see align/lag.py), so that
error goes straight into every message.

Simulated VODs come from ``dougchat_assets.align.simulate`` (20-90 min, late start 0-10 min,
drift +-5 s/h, 0-2 cuts of 15-120 s).  Demo VODs are decoded and transcribed with the
project's own ingest/ASR code (faster-whisper tiny.en, CPU) and parsed with its chat parsers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dougchat_assets.align import (  # noqa: E402
    AlignmentInputs,
    AlignmentParams,
    ChatMessages,
    EnergyFrames,
    LagPrior,
    VodMeta,
    WordTimings,
    all_passed,
    baseline_global_xcorr,
    estimate_alignment,
    evaluate_checks,
    in_flat_span,
    map_chat_to_audio,
)
from dougchat_assets.align.inputs import pair_chat_with_audio  # noqa: E402
from dougchat_assets.align.simulate import SimConfig, mismatched_inputs, simulate_vod  # noqa: E402


@dataclass
class Tally:
    """Per-method accumulator."""

    errors: list[np.ndarray] = field(default_factory=list)
    flagged: list[np.ndarray] = field(default_factory=list)  # message in a span the estimator flags
    passed: list[bool] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, result, inputs: AlignmentInputs, true_knots: list, elapsed: float) -> None:
        t = inputs.chat.sent_at_utc_ms
        keep = ~in_flat_span(true_knots, t)
        err = np.abs(map_chat_to_audio(result.knots, t[keep]) - map_chat_to_audio(true_knots, t[keep]))
        self.errors.append(err)
        self.flagged.append(result.uncertain_mask(t[keep]))
        self.passed.append(all_passed(evaluate_checks(result, inputs.meta.audio_duration_s)))
        self.seconds += elapsed

    def flagged_row(self, name: str) -> str:
        """Errors outside the spans the estimator itself flags (its cuts and uncertain cut positions)."""
        err = np.concatenate(self.errors)
        flag = np.concatenate(self.flagged)
        rest = err[~flag] if (~flag).any() else np.zeros(1)
        return (
            f"  {name:<22} {np.median(rest):>8.2f} {np.quantile(rest, 0.95):>8.2f} {rest.max():>9.1f}"
            f"   flagged (cut / cut position unsure): {100 * flag.mean():.1f}% of messages"
        )

    def row(self, name: str) -> str:
        err = np.concatenate(self.errors) if self.errors else np.zeros(0)
        worst_vod_p95 = max((float(np.quantile(e, 0.95)) for e in self.errors if e.size), default=float("nan"))
        return (
            f"  {name:<22} {np.median(err):>8.2f} {np.quantile(err, 0.95):>8.2f} {err.max():>9.1f}"
            f" {worst_vod_p95:>14.2f} {100 * np.mean(self.passed):>9.0f}% {self.seconds:>9.1f}"
        )


HEADER = f"  {'method':<22} {'median':>8} {'p95':>8} {'max':>9} {'worst VOD p95':>14} {'checks ok':>10} {'time (s)':>9}"


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def mismatch_line(name: str, passed: list[bool], confidences: list[float]) -> str:
    return (
        f"  {name:<22} pairs {len(passed):>3}   wrongly passing {sum(passed):>2} ({100 * np.mean(passed):.0f}%)"
        f"   max confidence {max(confidences):.2f}"
    )


def run_simulated(n: int, seed: int, params: AlignmentParams) -> None:
    print(f"\n== simulated VODs: {n} (seeds {seed}..{seed + n - 1}) ==")
    vods = []
    sim_t = time.perf_counter()
    for i in range(n):
        vods.append(simulate_vod(seed + i))
    sim_t = time.perf_counter() - sim_t
    n_cuts = [len(v.cuts) for v in vods]
    durations = [v.inputs.meta.audio_duration_s / 60 for v in vods]
    print(
        f"  {sum(v.inputs.chat.n for v in vods)} messages, {min(durations):.0f}-{max(durations):.0f} min, "
        f"cuts per VOD {dict(zip(*np.unique(n_cuts, return_counts=True), strict=True))}, simulated in {sim_t:.1f} s"
    )
    est, base = Tally(), Tally()
    for v in vods:
        r, t = timed(estimate_alignment, v.inputs, params)
        est.add(r, v.inputs, v.true_knots, t)
        b, t = timed(baseline_global_xcorr, v.inputs, params)
        base.add(b, v.inputs, v.true_knots, t)
    print(HEADER)
    print(est.row("estimator"))
    print(base.row("baseline (global xcorr)"))
    print(est.flagged_row("estimator, unflagged"))

    print("  mismatched pairs (chat of VOD i, audio of VOD i+1):")
    e_pass, e_conf, b_pass, b_conf = [], [], [], []
    for i in range(n):
        inp = mismatched_inputs(vods[i], vods[(i + 1) % n])
        r = estimate_alignment(inp, params)
        e_pass.append(all_passed(evaluate_checks(r, inp.meta.audio_duration_s)))
        e_conf.append(r.confidence)
        b = baseline_global_xcorr(inp, params)
        b_pass.append(all_passed(evaluate_checks(b, inp.meta.audio_duration_s)))
        b_conf.append(b.confidence)
    print(mismatch_line("estimator", e_pass, e_conf))
    print(mismatch_line("baseline (global xcorr)", b_pass, b_conf))

    print("  lag prior 1 s too fast (true latency = prior + 1 s), 6 VODs:")
    shifted = Tally()
    for i in range(6):
        v = simulate_vod(seed + 1000 + i, SimConfig(lag_shift_s=1.0))
        r, t = timed(estimate_alignment, v.inputs, params)
        shifted.add(r, v.inputs, v.true_knots, t)
    print(HEADER)
    print(shifted.row("estimator"))

    print("  sparse chat (reacts to ~1 sentence in 8 instead of ~1 in 2), 10 VODs of 30 min:")
    sparse, sparse_vods = Tally(), []
    for i in range(10):
        v = simulate_vod(seed + 2000 + i, SimConfig(event_scale=0.25, audio_duration_s=1800))
        sparse_vods.append(v)
        r, t = timed(estimate_alignment, v.inputs, params)
        sparse.add(r, v.inputs, v.true_knots, t)
    print(HEADER)
    print(sparse.row("estimator"))
    print(sparse.flagged_row("estimator, unflagged"))
    wrong = [
        i
        for i, (p_ok, e, f) in enumerate(zip(sparse.passed, sparse.errors, sparse.flagged, strict=True))
        if p_ok and (~f).any() and np.quantile(e[~f], 0.95) > 2.0
    ]
    print(f"  VODs passing their checks with unflagged p95 > 2 s: {len(wrong)} of {len(sparse.passed)}")


def _started_at_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def load_demo(vod_dir: Path, truth_path: Path, cache: Path) -> tuple[AlignmentInputs, list]:
    """Decode + ASR + chat parse with the project's own code (ASR chunks cached in ``cache``)."""
    import pyarrow as pa

    from dougchat_assets.asr.config import AsrConfig
    from dougchat_assets.asr.transcribe import transcribe_file
    from dougchat_assets.audio.decode import decode_to_flac
    from dougchat_assets.chat import ChatContext, iter_chat_batches, read_export_metadata

    truth = json.loads(truth_path.read_text())
    vid = vod_dir.name
    flac = cache / f"{vid}.flac"
    decoded = decode_to_flac(vod_dir / truth["audio_file"], flac)
    asr = transcribe_file(flac, config=AsrConfig(), work_dir=cache / "asr" / vid)  # work dirs are per file
    quality = {s.segment_id: s.quality_flag for s in asr.segments}
    words = WordTimings.from_arrays(
        [w.start_s for w in asr.words],
        [w.end_s for w in asr.words],
        [w.word for w in asr.words],
        [w.probability for w in asr.words],
        [quality.get(w.segment_id) == "ok" for w in asr.words],
    )
    energy = EnergyFrames.from_arrays(np.arange(decoded.energy_db.size) * decoded.frame_s, decoded.energy_db)
    meta_json = json.loads((vod_dir / "vod.json").read_text()) if (vod_dir / "vod.json").exists() else {}
    chat_path = vod_dir / truth["chat_file"]
    started = (
        _started_at_ms(meta_json["started_at"])
        if "started_at" in meta_json
        else read_export_metadata(chat_path).started_at_utc_ms
    )
    meta = VodMeta(audio_duration_s=decoded.duration_s, started_at_utc_ms=started)
    ctx = ChatContext(vod_id=vid, started_at_utc_ms=started, timezone=meta_json.get("chat_timezone"))
    chat = ChatMessages.from_batches(
        (pa.Table.from_batches([b]) for b in iter_chat_batches(chat_path, ctx)), bots=meta.bots
    )
    return AlignmentInputs(words, chat, energy, meta), truth["knots"]


def run_demo(params: AlignmentParams, cache: Path) -> None:
    vods_root = ROOT / "demo" / "vods"
    truth_root = ROOT / "demo" / "truth"
    ids = (
        sorted(p.name for p in vods_root.iterdir() if (truth_root / p.name / "ground_truth.json").exists())
        if vods_root.exists()
        else []
    )
    if not ids:
        print("\n== demo VODs: none found under demo/vods (skipped) ==")
        return
    print(f"\n== demo VODs: {', '.join(ids)} (decode + faster-whisper ASR + chat parsers) ==")
    cache.mkdir(parents=True, exist_ok=True)
    loaded = {}
    prep = time.perf_counter()
    for vid in ids:
        loaded[vid] = load_demo(vods_root / vid, truth_root / vid / "ground_truth.json", cache)
    print(f"  prepared in {time.perf_counter() - prep:.1f} s (ASR reused from {cache} when cached)")
    est, base = Tally(), Tally()
    print(f"  {'vod':<8} {'median':>7} {'p95':>6} {'max':>6} {'conf':>5} {'cuts':>4} {'drift s/h':>9}  checks")
    for vid in ids:
        inp, knots = loaded[vid]
        r, t = timed(estimate_alignment, inp, params)
        est.add(r, inp, knots, t)
        b, t = timed(baseline_global_xcorr, inp, params)
        base.add(b, inp, knots, t)
        e = est.errors[-1]
        checks = evaluate_checks(r, inp.meta.audio_duration_s)
        verdict = "pass" if all_passed(checks) else "FAIL " + ",".join(k for k, v in checks.items() if not v.passed)
        print(
            f"  {vid:<8} {np.median(e):>7.2f} {np.quantile(e, 0.95):>6.2f} {e.max():>6.2f} {r.confidence:>5.2f}"
            f" {len(r.segments) - 1:>4} {r.drift_s_per_h:>+9.2f}  {verdict}"
        )
    print(HEADER)
    print(est.row("estimator"))
    print(base.row("baseline (global xcorr)"))
    e_pass, e_conf, b_pass, b_conf = [], [], [], []
    for a in ids:
        for b_id in ids:
            if a == b_id:
                continue
            inp = pair_chat_with_audio(loaded[a][0], loaded[b_id][0])
            r = estimate_alignment(inp, params)
            e_pass.append(all_passed(evaluate_checks(r, inp.meta.audio_duration_s)))
            e_conf.append(r.confidence)
            b = baseline_global_xcorr(inp, params)
            b_pass.append(all_passed(evaluate_checks(b, inp.meta.audio_duration_s)))
            b_conf.append(b.confidence)
    print("  mismatched pairs (chat of one demo VOD, audio of another, same claimed start):")
    print(mismatch_line("estimator", e_pass, e_conf))
    print(mismatch_line("baseline (global xcorr)", b_pass, b_conf))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=24, help="simulated VODs (>= 20 for the report)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-demo", action="store_true", help="skip the demo VODs (no ASR)")
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "dougchat-bench-alignment")
    args = ap.parse_args()
    params = AlignmentParams()
    lag: LagPrior = params.lag
    print(f"lag prior: median {lag.median_s:.2f} s, IQR {lag.iqr_s:.2f} s")
    print("errors: seconds of audio, over all messages outside true cuts")
    start = time.perf_counter()
    run_simulated(args.n, args.seed, params)
    if not args.no_demo:
        run_demo(params, args.cache_dir)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
