"""Benchmark: our chunked, resumable ASR against bare faster-whisper on the same audio.

(a) bare   WhisperModel.transcribe(whole file, vad_filter=True (Silero), word timestamps)
(b) ours   dougchat_assets.asr.transcribe_file (webrtcvad chunks, fresh work dir, no resume)
(c) ours + lexicon, when --lexicon is given

Both use one WhisperModel instance (same folder, device, compute type, beam size), loaded
before timing; each timing includes reading the audio.  Rows are repeated ``--repeat``
times alternating (a) and (b) and the median is kept, because the machine is shared.
Prints wall time, real-time factor and WER against the reference script for each (for
ours also "WER ok": only the segments the gates pass, which is what later stages use), and
the time ratio (b)/(a) (target: <= 1.10 with equal or lower WER).

Usage:
    python bench/asr.py [AUDIO ...] [--lexicon FILE] [--repeat N] [--threads N] [--json OUT]

Without AUDIO it uses every demo VOD's audio (``demo/vods/*/``), decoded first to 16 kHz
mono FLAC like the ingest does.  The reference for an audio file is the first
``script.json`` found next to it, in ``demo/truth/<folder name>/`` or
``demo/truth/<file stem>/`` (a list of {"text", "audio_start_s", "audio_end_s"}).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dougchat_assets.asr.audio_reader import probe_audio  # noqa: E402
from dougchat_assets.asr.audits import load_script, script_reference  # noqa: E402
from dougchat_assets.asr.config import AsrConfig  # noqa: E402
from dougchat_assets.asr.model import choose_device, load_whisper, resolve_model  # noqa: E402
from dougchat_assets.asr.transcribe import transcribe_file  # noqa: E402
from dougchat_assets.asr.wer import word_error_rate  # noqa: E402
from dougchat_assets.errors import InputError  # noqa: E402

_AUDIO_SUFFIXES = {".flac", ".wav", ".opus", ".ogg", ".m4a", ".aac", ".mp3", ".mp4", ".mkv", ".webm"}


def demo_audio() -> list[Path]:
    found = []
    for folder in sorted((ROOT / "demo" / "vods").glob("*/")):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _AUDIO_SUFFIXES)
        if files:
            found.append(files[0])
    return found


def find_script(audio: Path) -> Path | None:
    for candidate in (
        audio.parent / "script.json",
        ROOT / "demo" / "truth" / audio.parent.name / "script.json",
        ROOT / "demo" / "truth" / audio.stem / "script.json",
    ):
        if candidate.is_file():
            return candidate
    return None


def as_16k_flac(audio: Path, scratch: Path) -> Path:
    """The file itself when it is already 16 kHz mono, else a decoded copy (like ingest)."""
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


def run_bare(model, audio: Path, beam_size: int) -> tuple[float, str, int]:
    from faster_whisper.audio import decode_audio

    start = time.perf_counter()
    samples = decode_audio(str(audio), sampling_rate=16_000)
    segments, _info = model.transcribe(
        samples, language="en", word_timestamps=True, vad_filter=True, beam_size=beam_size
    )
    segments = list(segments)
    elapsed = time.perf_counter() - start
    return elapsed, " ".join(s.text.strip() for s in segments), len(segments)


def run_ours(model, audio: Path, config: AsrConfig) -> tuple[float, str, int, dict]:
    with tempfile.TemporaryDirectory(prefix="asr-bench-") as work:
        start = time.perf_counter()
        result = transcribe_file(audio, config=config, work_dir=Path(work), model=model)
        elapsed = time.perf_counter() - start
    usable = " ".join(s.text for s in result.segments if s.quality_flag in ("ok", "low_confidence"))
    extra = {
        "flags": result.flag_counts(),
        "chunks": len(result.chunks),
        "speech_s": round(result.speech_s, 1),
        "usable_text": usable,
    }
    return elapsed, result.text, len(result.segments), extra


def _errors(wer) -> int:
    return wer.substitutions + wer.deletions + wer.insertions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("audio", nargs="*", type=Path)
    parser.add_argument("--lexicon", type=Path, help="also run (c): ours with this lexicon")
    parser.add_argument("--lexicon-mode", choices=["hotwords", "initial_prompt"], default="initial_prompt")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="CTranslate2 CPU threads (0 = default)")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--model", default=None, help="CTranslate2 model folder (default: bundled tiny.en)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)

    files = args.audio or demo_audio()
    if not files:
        print("no audio: pass files, or generate the demo (demo/vods/*/)", file=sys.stderr)
        return 2
    base = AsrConfig(model_path=args.model, beam_size=args.beam_size, cpu_threads=args.threads)
    info = resolve_model(base.model_path)
    device, compute_type = choose_device(base.device, base.compute_type)
    model = load_whisper(info, device, compute_type, args.threads)
    variants = {"b_ours": base}
    if args.lexicon:
        variants["c_ours_lexicon"] = base.model_copy(
            update={"lexicon_path": str(args.lexicon), "lexicon_mode": args.lexicon_mode}
        )
    print(f"model {info.model_id} ({info.sha256[:12]}), {device}/{compute_type}, beam {args.beam_size}, "
          f"threads {args.threads or 'default'}, repeat {args.repeat}")

    rows = []
    totals: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="asr-bench-audio-") as scratch:
        for source in files:
            audio = as_16k_flac(source, Path(scratch))
            duration = probe_audio(audio).duration_s or 0.0
            script_path = find_script(source)
            reference = script_reference(load_script(script_path)) if script_path else None
            times: dict[str, list[float]] = {"a_bare": [], **{k: [] for k in variants}}
            texts: dict[str, str] = {}
            extras: dict[str, dict] = {}
            for _ in range(args.repeat):
                elapsed, texts["a_bare"], _n = run_bare(model, audio, args.beam_size)
                times["a_bare"].append(elapsed)
                for name, config in variants.items():
                    elapsed, texts[name], _n, extras[name] = run_ours(model, audio, config)
                    times[name].append(elapsed)
            for name, values in times.items():
                wall = statistics.median(values)
                wer = word_error_rate([reference], [texts[name]]) if reference is not None else None
                extra = dict(extras.get(name, {}))
                usable_text = extra.pop("usable_text", None)
                usable = None
                if reference is not None and usable_text is not None:
                    usable = word_error_rate([reference], [usable_text])
                row = {
                    "file": str(source),
                    "variant": name,
                    "duration_s": round(duration, 2),
                    "wall_s": round(wall, 3),
                    "rtf": round(wall / duration, 4) if duration else None,
                    "wer": None if wer is None else round(wer.wer, 4),
                    "ref_words": None if wer is None else wer.n_ref_words,
                    "errors": None if wer is None else _errors(wer),
                    "wer_usable": None if usable is None else round(usable.wer, 4),
                    "usable_errors": None if usable is None else _errors(usable),
                    **extra,
                }
                rows.append(row)
                total = totals.setdefault(
                    name, {"wall_s": 0.0, "duration_s": 0.0, "errors": 0, "usable_errors": None, "ref_words": 0}
                )
                total["wall_s"] += wall
                total["duration_s"] += duration
                total["errors"] += row["errors"] or 0
                if row["usable_errors"] is not None:
                    total["usable_errors"] = (total["usable_errors"] or 0) + row["usable_errors"]
                total["ref_words"] += row["ref_words"] or 0

    header = f"{'file':<40} {'variant':<15} {'audio s':>8} {'wall s':>8} {'RTF':>7} {'WER':>7} {'WER ok':>7}  notes"
    print(header)
    print("-" * len(header))
    for row in rows:
        wer = "n/a" if row["wer"] is None else f"{row['wer']:.3f}"
        wer_ok = "" if row["wer_usable"] is None else f"{row['wer_usable']:.3f}"
        notes = ""
        if "flags" in row:
            notes = f"chunks {row['chunks']}, speech {row['speech_s']} s, flags {row['flags']}"
        name = Path(row["file"]).parent.name + "/" + Path(row["file"]).name
        print(f"{name[-40:]:<40} {row['variant']:<15} {row['duration_s']:>8.1f} {row['wall_s']:>8.2f} "
              f"{row['rtf']:>7.4f} {wer:>7} {wer_ok:>7}  {notes}")
    print("-" * len(header))
    bare = totals["a_bare"]
    summary = {}
    for name, total in totals.items():
        wer = total["errors"] / total["ref_words"] if total["ref_words"] else None
        wer_ok = (
            total["usable_errors"] / total["ref_words"]
            if total["ref_words"] and total["usable_errors"] is not None
            else None
        )
        ratio = total["wall_s"] / bare["wall_s"] if bare["wall_s"] else None
        summary[name] = {
            "wall_s": round(total["wall_s"], 3),
            "rtf": round(total["wall_s"] / total["duration_s"], 4),
            "wer": None if wer is None else round(wer, 4),
            "wer_usable": None if wer_ok is None else round(wer_ok, 4),
            "time_ratio_vs_bare": round(ratio, 3),
        }
        print(f"{'TOTAL':<40} {name:<15} {total['duration_s']:>8.1f} {total['wall_s']:>8.2f} "
              f"{summary[name]['rtf']:>7.4f} {('n/a' if wer is None else f'{wer:.3f}'):>7} "
              f"{('' if wer_ok is None else f'{wer_ok:.3f}'):>7}  time ratio vs (a): {ratio:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
