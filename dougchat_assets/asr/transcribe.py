"""Transcribe one normalised audio file: VAD, chunks, Whisper, gates, speakers.

The decode of a long VOD takes a while and can be interrupted (a crash, a pre-empted
worker, Ctrl-C).  Each finished chunk is written atomically to
``work_dir/<params_hash>/chunk_<i>.json``; a rerun with the same parameters re-plans the
same chunks (the plan depends only on the audio and the VAD/chunk parameters) and decodes
only the ones without a valid file.  Rows are always built from those chunk files' content,
so a resumed run gives exactly the rows of an uninterrupted one.

Times in the result are seconds of the audio file: every Whisper time is mapped from the
chunk's joined audio back through the chunk's pieces.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from dougchat_assets.asr.audio_reader import SAMPLE_RATE, probe_audio, read_window
from dougchat_assets.asr.chunks import Chunk, plan_chunks, quiet_cut_finder
from dougchat_assets.asr.config import CHUNK_FORMAT_VERSION, AsrConfig
from dougchat_assets.asr.gates import GateInput, gate_segment
from dougchat_assets.asr.model import AsrModelInfo, choose_device, load_whisper, resolve_model
from dougchat_assets.asr.segmenting import RawSegment, RawWord, refine, text_compression_ratio, word_logprob
from dougchat_assets.asr.speakers import assign_speakers
from dougchat_assets.asr.vad import SpeechRegion, detect_speech, speech_fraction
from dougchat_assets.faults import fault_point
from dougchat_assets.fileio import atomic_write_text

# Called after each chunk is available: (chunk, resumed_from_disk).  Raising from it stops
# the run after that chunk's file is safely written (tests use it to simulate a crash).
ChunkCallback = Callable[[Chunk, bool], None]


@dataclass(frozen=True)
class TranscriptWord:
    segment_id: str
    word_index: int
    start_s: float
    end_s: float
    word: str
    probability: float


@dataclass(frozen=True)
class TranscriptSegment:
    segment_id: str
    chunk_index: int
    start_s: float
    end_s: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float  # of this segment's text (Whisper's formula)
    window_compression_ratio: float  # Whisper's, for the whole 30 s decoding window
    word_logprob: float | None  # mean log probability of this segment's words
    speech_fraction: float
    quality_flag: str
    quality_reason: str
    speaker: str | None


@dataclass
class TranscriptResult:
    """Rows for ``transcript_segments`` / ``transcript_words`` plus how they were made."""

    audio_path: Path
    duration_s: float
    segments: list[TranscriptSegment]
    words: list[TranscriptWord]
    chunks: list[Chunk]
    regions: list[SpeechRegion]
    model: AsrModelInfo
    params: dict
    params_hash: str
    chunks_decoded: int = 0
    chunks_resumed: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def speech_s(self) -> float:
        return sum(chunk.speech_s for chunk in self.chunks)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def segment_rows(self) -> list[dict]:
        return [asdict(s) for s in self.segments]

    def word_rows(self) -> list[dict]:
        return [asdict(w) for w in self.words]

    def flag_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(s.quality_flag for s in self.segments).items()))


def transcribe_file(
    audio_path: Path,
    *,
    config: AsrConfig | None = None,
    work_dir: Path,
    model=None,
    on_chunk: ChunkCallback | None = None,
) -> TranscriptResult:
    """Transcribe a 16 kHz mono FLAC, resuming from finished chunks under ``work_dir``.

    ``model`` is an already loaded ``faster_whisper.WhisperModel`` *of the configured model
    folder* (to share one between files); by default it is loaded here, and only if some
    chunk actually needs decoding.  Raises :class:`~dougchat_assets.errors.InputError` for
    a missing, corrupt or non-16 kHz-mono file.
    """
    config = config or AsrConfig()
    audio_path = Path(audio_path)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    probe_audio(audio_path)  # fail fast, naming the file, before any work
    info = resolve_model(config.model_path)
    params = config.params_dict(info)
    params_hash = params["params_hash"]
    prompt = params["lexicon"]["prompt"]
    timings["setup"] = time.perf_counter() - started

    mark = time.perf_counter()
    vad = detect_speech(audio_path, config.vad)
    chunks = plan_chunks(vad.regions, config.chunks, find_cut=quiet_cut_finder(audio_path))
    timings["vad"] = time.perf_counter() - mark

    run_dir = Path(work_dir) / params_hash
    decoded = resumed = 0
    chunk_docs: list[dict] = []
    mark = time.perf_counter()
    if chunks:
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_if_changed(run_dir / "params.json", json.dumps(params, indent=2, sort_keys=True) + "\n")
    for chunk in chunks:
        path = run_dir / f"chunk_{chunk.index:05d}.json"
        doc = _load_chunk(path, chunk, params_hash)
        if doc is None:
            if model is None:
                device, compute_type = choose_device(config.device, config.compute_type)
                model = load_whisper(info, device, compute_type, config.cpu_threads)
            doc = _decode_chunk(model, audio_path, chunk, config, prompt, params_hash)
            text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
            atomic_write_text(path, text + "\n")
            fault_point("asr:chunk_saved")  # some chunks saved, the transcript not yet written
            doc = json.loads(text)  # the same floats a resumed run will read back
            decoded += 1
            from_disk = False
        else:
            resumed += 1
            from_disk = True
        chunk_docs.append(doc)
        if on_chunk is not None:
            on_chunk(chunk, from_disk)
    timings["decode"] = time.perf_counter() - mark

    mark = time.perf_counter()
    segments, words = _rows(chunk_docs, vad.regions, config, prompt)
    if config.assign_speakers and segments:
        segments = _label_speakers(audio_path, segments)
    timings["post"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return TranscriptResult(
        audio_path=audio_path,
        duration_s=vad.duration_s,
        segments=segments,
        words=words,
        chunks=chunks,
        regions=vad.regions,
        model=info,
        params=params,
        params_hash=params_hash,
        chunks_decoded=decoded,
        chunks_resumed=resumed,
        timings_s=timings,
    )


def chunk_audio(audio_path: Path, chunk: Chunk) -> np.ndarray:
    """The joined float32 audio Whisper gets for ``chunk`` (pieces + inserted silences)."""
    parts: list[np.ndarray] = []
    gap = np.zeros(chunk.join_samples, dtype=np.float32)
    for k, piece in enumerate(chunk.pieces):
        if k:
            parts.append(gap)
        samples = read_window(audio_path, piece.start_s, piece.end_s)
        if samples.size < piece.n:  # the file ended early: keep the time map valid
            samples = np.concatenate([samples, np.zeros(piece.n - samples.size, dtype=np.float32)])
        parts.append(samples)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _decode_chunk(
    model, audio_path: Path, chunk: Chunk, config: AsrConfig, prompt: str | None, params_hash: str
) -> dict:
    audio = chunk_audio(audio_path, chunk)
    limit = audio.size / SAMPLE_RATE
    segments, _info = model.transcribe(
        audio,
        language="en",
        task="transcribe",
        beam_size=config.beam_size,
        temperature=config.temperature,
        word_timestamps=True,
        vad_filter=False,  # the chunk is already speech only
        condition_on_previous_text=False,
        initial_prompt=prompt if config.lexicon_mode == "initial_prompt" else None,
        hotwords=prompt if config.lexicon_mode == "hotwords" else None,
        # Keep every segment: the gates flag non-speech instead of Whisper dropping it unseen.
        no_speech_threshold=None,
        log_progress=False,
    )
    out = []
    for segment in segments:
        out.append(
            {
                "start_s": _map(chunk, segment.start, limit, is_end=False),
                "end_s": _map(chunk, segment.end, limit, is_end=True),
                "text": segment.text,
                "avg_logprob": round(float(segment.avg_logprob), 6),
                "no_speech_prob": round(float(segment.no_speech_prob), 6),
                "compression_ratio": round(float(segment.compression_ratio), 6),
                "words": [
                    [
                        _map(chunk, w.start, limit, is_end=False),
                        _map(chunk, w.end, limit, is_end=True),
                        w.word,
                        round(float(w.probability), 6),
                    ]
                    for w in (segment.words or [])
                    if w.word.strip()
                ],
            }
        )
    return {"format": CHUNK_FORMAT_VERSION, "params_hash": params_hash, "chunk": chunk.to_dict(), "segments": out}


def _map(chunk: Chunk, t: float, limit: float, *, is_end: bool) -> float:
    return round(chunk.to_file_time(min(max(float(t), 0.0), limit), is_end=is_end), 3)


def _load_chunk(path: Path, chunk: Chunk, params_hash: str) -> dict | None:
    """A finished chunk's document, or None when absent, unreadable or for another plan."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != CHUNK_FORMAT_VERSION
        or doc.get("params_hash") != params_hash
        or doc.get("chunk") != chunk.to_dict()
        or not isinstance(doc.get("segments"), list)
    ):
        return None
    return doc


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    atomic_write_text(path, text)


def _raw_segments(doc: dict) -> list[RawSegment]:
    return [
        RawSegment(
            start_s=raw["start_s"],
            end_s=raw["end_s"],
            text=raw["text"],
            avg_logprob=raw["avg_logprob"],
            no_speech_prob=raw["no_speech_prob"],
            window_compression_ratio=raw["compression_ratio"],
            words=tuple(RawWord(start, end, word, probability) for start, end, word, probability in raw["words"]),
        )
        for raw in doc["segments"]
    ]


def _rows(
    chunk_docs: list[dict], regions: list[SpeechRegion], config: AsrConfig, prompt: str | None
) -> tuple[list[TranscriptSegment], list[TranscriptWord]]:
    segments: list[TranscriptSegment] = []
    words: list[TranscriptWord] = []
    previous_text: str | None = None
    for doc in chunk_docs:
        chunk_index = doc["chunk"]["index"]
        refined = refine(_raw_segments(doc), regions, config.segments)
        for n, raw in enumerate(refined):
            segment_id = f"{chunk_index:05d}-{n:03d}"
            text = raw.text.strip()
            fraction = round(speech_fraction(regions, raw.start_s, raw.end_s), 4)
            ratio = round(text_compression_ratio(text), 4)
            word_lp = word_logprob(raw.words)
            gate = gate_segment(
                GateInput(
                    text=text,
                    avg_logprob=raw.avg_logprob,
                    no_speech_prob=raw.no_speech_prob,
                    compression_ratio=ratio,
                    word_logprob=word_lp,
                    speech_fraction=fraction if raw.end_s > raw.start_s else None,
                    previous_text=previous_text,
                    prompt=prompt,
                ),
                config.gates,
            )
            previous_text = text
            segments.append(
                TranscriptSegment(
                    segment_id=segment_id,
                    chunk_index=chunk_index,
                    start_s=raw.start_s,
                    end_s=raw.end_s,
                    text=text,
                    avg_logprob=raw.avg_logprob,
                    no_speech_prob=raw.no_speech_prob,
                    compression_ratio=ratio,
                    window_compression_ratio=raw.window_compression_ratio,
                    word_logprob=None if word_lp is None else round(word_lp, 4),
                    speech_fraction=fraction,
                    quality_flag=gate.flag,
                    quality_reason=gate.reason,
                    speaker=None,
                )
            )
            for i, w in enumerate(raw.words):
                words.append(TranscriptWord(segment_id, i, w.start_s, w.end_s, w.word.strip(), w.probability))
    return segments, words


def _label_speakers(audio_path: Path, segments: list[TranscriptSegment]) -> list[TranscriptSegment]:
    """Speaker labels from the voiced segments only: music or noise would blur the two voices."""
    voiced = [i for i, s in enumerate(segments) if s.quality_flag in ("ok", "low_confidence")]
    labels = assign_speakers(audio_path, [segments[i] for i in voiced])
    by_index = dict(zip(voiced, labels, strict=True))
    return [replace(s, speaker=by_index.get(i)) for i, s in enumerate(segments)]
