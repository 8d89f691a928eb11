"""Benchmark: the ``transcripts`` stage against plain and batched faster-whisper, same audio.

Three ways, the same model folder, device, compute type and CPU threads, loaded before
timing; each timing includes reading the audio:

(stage)   dougchat_assets.asr.transcribe_file, the function the ``transcripts`` asset runs,
          with a fresh work dir (no resume), on the model as the stage loads it: on CPU
          two workers, the threads split between them, decoding two batches at once
(plain)   WhisperModel.transcribe(vad_filter=True, condition_on_previous_text=False,
          beam_size=5, word_timestamps=True)  -- the accuracy anchor
(batched) BatchedInferencePipeline(model).transcribe(batch_size=8, beam_size=5,
          word_timestamps=True)  -- the speed anchor

Audio: the demo VODs (``demo/vods/*/``, decoded to 16 kHz mono FLAC like ingest) and
``--streams`` streams of ``--minutes`` plus one of ``--long-minutes`` made by ``bench/asr_streams.py`` (a generator that
shares nothing with ``demo/`` but espeak-ng), cached under ``--streams-dir``.  WER is
against the spoken script, with number words normalised (``dougchat_assets.asr.wer``).
For the stage also "WER ok": only the segments the gates pass, which later stages use.
No lexicon unless ``--lexicon`` names one (``dougchat demo`` installs none either).

Targets (issue 13): stage WER <= plain WER, stage wall <= 1.10 x batched wall.

Walls on a shared VM drift by several per cent from one minute to the next, more than the
margins that matter here, so ``--repeat N`` runs every stream's variants N times in
alternating order and reports each one's median wall.  "cpu s" is the process's CPU time
(user + system) in that run: the work done, as against the wall, which also counts idle cores.

Usage:
    python bench/asr.py [--streams 3 --minutes 30 --long-minutes 120] [--no-demo] [--threads 2] [--repeat 3] [--json OUT]
    python bench/asr.py AUDIO ...      # own files; script.json next to them or in demo/truth/<name>/
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dougchat_assets.asr.audio_reader import probe_audio  # noqa: E402
from dougchat_assets.asr.audits import load_script, script_reference  # noqa: E402
from dougchat_assets.asr.config import AsrConfig  # noqa: E402
from dougchat_assets.asr.model import choose_device, load_whisper, resolve_model  # noqa: E402
from dougchat_assets.asr.transcribe import load_model, transcribe_file  # noqa: E402
from dougchat_assets.asr.wer import word_error_rate  # noqa: E402
from dougchat_assets.errors import InputError  # noqa: E402

_AUDIO_SUFFIXES = {".flac", ".wav", ".opus", ".ogg", ".m4a", ".aac", ".mp3", ".mp4", ".mkv", ".webm"}
VARIANTS = ("stage", "plain", "batched")


def demo_audio() -> list[tuple[Path, Path | None]]:
    found = []
    for folder in sorted((ROOT / "demo" / "vods").glob("*/")):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _AUDIO_SUFFIXES)
        if files:
            found.append((files[0], find_script(files[0])))
    return found


def find_script(audio: Path) -> Path | None:
    for candidate in (
        audio.with_suffix(".script.json"),
        audio.parent / "script.json",
        ROOT / "demo" / "truth" / audio.parent.name / "script.json",
        ROOT / "demo" / "truth" / audio.stem / "script.json",
    ):
        if candidate.is_file():
            return candidate
    return None


def as_16k_flac(audio: Path, scratch: Path) -> Path:
    """The file itself when it is already 16 kHz mono FLAC, else a decoded copy (like ingest)."""
    try:
        info = probe_audio(audio)
        if audio.suffix.lower() == ".flac" and info.sample_rate == 16_000 and info.channels == 1:
            return audio
    except InputError:
        pass
    from dougchat_assets.audio.decode import decode_to_flac

    target = scratch / f"{audio.parent.name}_{audio.stem}.flac"
    decode_to_flac(audio, target)
    return target


def run_plain(model, audio: Path, beam_size: int) -> tuple[float, str, str]:
    from faster_whisper.audio import decode_audio

    start = time.perf_counter()
    samples = decode_audio(str(audio), sampling_rate=16_000)
    segments, _info = model.transcribe(
        samples, language="en", word_timestamps=True, vad_filter=True, beam_size=beam_size,
        condition_on_previous_text=False,
    )
    text = " ".join(s.text.strip() for s in segments)
    return time.perf_counter() - start, text, ""


def run_batched(model, audio: Path, beam_size: int, batch_size: int) -> tuple[float, str, str]:
    from faster_whisper import BatchedInferencePipeline
    from faster_whisper.audio import decode_audio

    start = time.perf_counter()
    samples = decode_audio(str(audio), sampling_rate=16_000)
    segments, _info = BatchedInferencePipeline(model).transcribe(
        samples, language="en", word_timestamps=True, beam_size=beam_size, batch_size=batch_size
    )
    text = " ".join(s.text.strip() for s in segments)
    return time.perf_counter() - start, text, ""


def run_stage(model, audio: Path, config: AsrConfig) -> tuple[float, str, str, str]:
    with tempfile.TemporaryDirectory(prefix="asr-bench-") as work:
        start = time.perf_counter()
        result = transcribe_file(audio, config=config, work_dir=Path(work), model=model)
        elapsed = time.perf_counter() - start
    usable = " ".join(s.text for s in result.segments if s.quality_flag in ("ok", "low_confidence"))
    steps = ", ".join(f"{k} {v:.1f}" for k, v in result.timings_s.items() if k != "total")
    notes = f"chunks {len(result.chunks)}, speech {result.speech_s:.0f} s, flags {result.flag_counts()}, s: {steps}"
    return elapsed, result.text, usable, notes


def _reset_peak_rss() -> None:
    """Start a new peak-RSS window for this process (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    """Peak resident memory since the last reset (VmHWM), None where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _median_text(texts: list[str], reference: str | None) -> str:
    """The text whose error count is the median of the runs' (the first one without a reference)."""
    if reference is None or len(texts) == 1:
        return texts[0]
    ranked = sorted(texts, key=lambda text: _errors(word_error_rate([reference], [text])))
    return ranked[(len(ranked) - 1) // 2]


def _errors(wer) -> int:
    return wer.substitutions + wer.deletions + wer.insertions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("audio", nargs="*", type=Path)
    parser.add_argument("--no-demo", action="store_true", help="skip the demo VODs")
    parser.add_argument("--streams", type=int, default=3, help="generated streams (0 = none)")
    parser.add_argument("--minutes", type=float, default=30.0, help="length of each generated stream")
    parser.add_argument("--seed", type=int, default=103, help="seed of the first generated stream (100-102 tuned the stage)")
    parser.add_argument("--long-minutes", type=float, default=120.0,
                        help="one more generated stream this long, for memory and time (0 = none)")
    parser.add_argument("--streams-dir", type=Path, default=Path(tempfile.gettempdir()) / "dougchat-asr-streams")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma list of stage,plain,batched")
    parser.add_argument("--lexicon", type=Path, help="lexicon for the stage (as the asset would use)")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default=None, help="CTranslate2 model folder (default: bundled tiny.en)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--config", type=json.loads, default={}, help="JSON of AsrConfig overrides for the stage")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each stream's variants this often, in alternating order, and report the median wall"
                             " (a shared 2-core VM drifts by +-5 %% between minutes)")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]

    inputs: list[tuple[Path, Path | None]] = [(p, find_script(p)) for p in args.audio]
    if not args.audio and not args.no_demo:
        inputs += demo_audio()
    if args.streams and not args.audio:
        from asr_streams import make_streams

        inputs += make_streams(args.streams_dir, args.streams, args.minutes, args.seed)
        if args.long_minutes:
            inputs += make_streams(args.streams_dir, 1, args.long_minutes, args.seed + args.streams)
    if not inputs:
        print("no audio: pass files, or generate the demo (demo/vods/*/)", file=sys.stderr)
        return 2
    config = AsrConfig(
        model_path=args.model, device=args.device, compute_type=args.compute_type, beam_size=args.beam_size,
        cpu_threads=args.threads, lexicon_path=None if args.lexicon is None else str(args.lexicon), **args.config,
    )
    info = resolve_model(config.model_path)
    device, compute_type = choose_device(config.device, config.compute_type)
    model = load_whisper(info, device, compute_type, args.threads)
    stage_model = load_model(config, info) if "stage" in variants else None
    import numpy as np

    for warm in (model, stage_model):  # warm-up, untimed
        if warm is not None:
            list(warm.transcribe(np.zeros(16_000, dtype=np.float32), language="en")[0])
    print(f"model {info.model_id} ({info.sha256[:12]}), {device}/{compute_type}, beam {args.beam_size}, "
          f"threads {args.threads}, batch {args.batch_size}, stage params {config.params_hash(info)}"
          + ("" if stage_model is None else f", stage decode workers {stage_model.model.num_workers}"))

    rows = []
    with tempfile.TemporaryDirectory(prefix="asr-bench-audio-") as scratch:
        for source, script_path in inputs:
            audio = as_16k_flac(source, Path(scratch))
            duration = probe_audio(audio).duration_s or 0.0
            reference = script_reference(load_script(script_path)) if script_path else None
            name = source.parent.name + "/" + source.name if source.parent.name.startswith("demo") else source.stem
            timed: dict[str, list[tuple[float, float, float | None]]] = {v: [] for v in variants}
            first: dict[str, tuple[str, str]] = {}
            texts: dict[str, list[str]] = {v: [] for v in variants}
            for rep in range(max(1, args.repeat)):
                for variant in variants if rep % 2 == 0 else variants[::-1]:
                    _reset_peak_rss()
                    cpu_before = os.times()
                    if variant == "stage":
                        wall, text, usable, notes = run_stage(stage_model, audio, config)
                    elif variant == "plain":
                        (wall, text, notes), usable = run_plain(model, audio, args.beam_size), ""
                    else:
                        (wall, text, notes), usable = run_batched(model, audio, args.beam_size, args.batch_size), ""
                    cpu_after = os.times()
                    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
                    timed[variant].append((wall, cpu, _peak_rss_mb()))
                    texts[variant].append(text)
                    first.setdefault(variant, (usable, notes))
            for variant in variants:
                usable, notes = first[variant]
                # plain's temperature fallback samples, so its WER differs between runs: the rep
                # closest to the median error count stands for it (the stage's runs are identical)
                text = _median_text(texts[variant], reference)
                wall = statistics.median(t[0] for t in timed[variant])
                cpu = statistics.median(t[1] for t in timed[variant])
                peaks = [t[2] for t in timed[variant] if t[2] is not None]
                peak = max(peaks) if peaks else None
                wer = word_error_rate([reference], [text]) if reference is not None else None
                wer_ok = word_error_rate([reference], [usable]) if reference is not None and usable else None
                rows.append({
                    "stream": name, "variant": variant, "duration_s": round(duration, 1), "wall_s": round(wall, 2),
                    "walls_s": [round(t[0], 2) for t in timed[variant]], "cpu_s": round(cpu, 1),
                    "rtf": round(wall / duration, 4) if duration else None,
                    "wer": None if wer is None else round(wer.wer, 4),
                    "ref_words": None if wer is None else wer.n_ref_words,
                    "errors": None if wer is None else _errors(wer),
                    "sdi": None if wer is None else [wer.substitutions, wer.deletions, wer.insertions],
                    "wer_ok": None if wer_ok is None else round(wer_ok.wer, 4),
                    "errors_ok": None if wer_ok is None else _errors(wer_ok),
                    "peak_rss_mb": None if peak is None else round(peak),
                    "notes": notes,
                })
                r = rows[-1]
                print(f"  {name:<28} {variant:<8} {duration:>7.1f} s  wall {wall:7.2f} {r['walls_s']}  cpu {cpu:.1f}  "
                      f"WER {r['wer']}  ok {r['wer_ok']}  S/D/I {r['sdi']}  peak {r['peak_rss_mb']} MB  {notes}", flush=True)

    header = (f"{'stream':<28} {'variant':<8} {'audio s':>8} {'wall s':>8} {'cpu s':>7} {'RTF':>7} {'WER':>7} {'WER ok':>7}"
              f" {'S/D/I':>14} {'peak MB':>8}")
    print()
    print(header)
    print("-" * len(header))
    for r in rows:
        wer = "n/a" if r["wer"] is None else f"{r['wer']:.3f}"
        wer_ok = "" if r["wer_ok"] is None else f"{r['wer_ok']:.3f}"
        sdi = "" if r["sdi"] is None else "/".join(map(str, r["sdi"]))
        print(f"{r['stream'][-28:]:<28} {r['variant']:<8} {r['duration_s']:>8.1f} {r['wall_s']:>8.2f} {r['cpu_s']:>7.1f} "
              f"{r['rtf']:>7.4f} {wer:>7} {wer_ok:>7} {sdi:>14} {r['peak_rss_mb'] or '':>8}")
    print("-" * len(header))
    summary: dict[str, dict] = {}
    groups = {"demo": lambda r: r["stream"].startswith("demo"), "generated": lambda r: not r["stream"].startswith("demo"),
              "all": lambda r: True}
    for group, keep in groups.items():
        for variant in variants:
            picked = [r for r in rows if r["variant"] == variant and keep(r)]
            if not picked:
                continue
            wall = sum(r["wall_s"] for r in picked)
            cpu = sum(r["cpu_s"] for r in picked)
            dur = sum(r["duration_s"] for r in picked)
            ref = sum(r["ref_words"] or 0 for r in picked)
            err = sum(r["errors"] or 0 for r in picked)
            err_ok = sum(r["errors_ok"] or 0 for r in picked) if variant == "stage" else None
            summary[f"{group}/{variant}"] = s = {
                "wall_s": round(wall, 2), "cpu_s": round(cpu, 1), "rtf": round(wall / dur, 4) if dur else None,
                "wer": round(err / ref, 4) if ref else None,
                "wer_ok": round(err_ok / ref, 4) if ref and err_ok is not None else None,
            }
            print(f"{'TOTAL ' + group:<28} {variant:<8} {dur:>8.1f} {wall:>8.2f} {cpu:>7.1f} {s['rtf'] or 0:>7.4f} "
                  f"{s['wer'] if s['wer'] is not None else 'n/a':>7} {s['wer_ok'] if s['wer_ok'] is not None else '':>7}")
        stage, plain, batched = (summary.get(f"{group}/{v}") for v in VARIANTS)
        if stage and plain and batched and plain["wer"] is not None:
            print(f"  {group}: stage WER {stage['wer']} vs plain {plain['wer']} "
                  f"({'met' if stage['wer'] <= plain['wer'] else 'NOT met'}); stage wall / batched wall = "
                  f"{stage['wall_s'] / batched['wall_s']:.2f} ({'met' if stage['wall_s'] <= 1.1 * batched['wall_s'] else 'NOT met'}, target <= 1.10)")
    # Resetting VmHWM per variant resets ru_maxrss too, so the process peak is the rows' peak.
    peaks = [r["peak_rss_mb"] for r in rows if r["peak_rss_mb"] is not None]
    peak_mb = max(peaks) if peaks else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for variant in variants:
        worst = max((r for r in rows if r["variant"] == variant and r["peak_rss_mb"] is not None),
                    key=lambda r: r["peak_rss_mb"], default=None)
        if worst is not None:
            print(f"peak RSS {variant:<8} {worst['peak_rss_mb']:>6} MB  ({worst['stream']}, {worst['duration_s']:.0f} s of audio)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": summary, "peak_rss_mb": round(peak_mb)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
