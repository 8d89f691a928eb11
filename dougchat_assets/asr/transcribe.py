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

import bisect
import contextlib
import functools
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from dougchat_assets.asr.audio_reader import SAMPLE_RATE, probe_audio, read_window
from dougchat_assets.asr.chunks import Chunk, plan_chunks, quiet_cut_finder
from dougchat_assets.asr.config import CHUNK_FORMAT_VERSION, AsrConfig
from dougchat_assets.asr.gates import LOW_CONFIDENCE, OK, GateInput, GateResult, gate_segment, repetition_loop
from dougchat_assets.asr.model import AsrModelInfo, choose_device, decode_layout, load_whisper, resolve_model
from dougchat_assets.asr.segmenting import RawSegment, RawWord, refine, text_compression_ratio, word_logprob
from dougchat_assets.asr.speakers import pitch_of_span, speaker_labels
from dougchat_assets.asr.vad import SpeechRegion, detect_speech, speech_fraction
from dougchat_assets.faults import fault_point
from dougchat_assets.fileio import atomic_write_text

# Called after each chunk is available: (chunk, resumed_from_disk).  Raising from it stops
# the run after that chunk's file is safely written (tests use it to simulate a crash).
ChunkCallback = Callable[[Chunk, bool], None]

_OTHER_MODE_MARGIN_S = 1.0  # the other mode's decode replaces the first pass when it skips this much less
_MAX_WORD_S = 1.2  # longer "words" in Whisper's alignment cover audio it did not transcribe
_VOICED_FLAGS = (OK, LOW_CONFIDENCE)  # the segments whose pitch goes into the speaker split
_TAPER_SHARE = 4  # a batch takes at most this share (1/n) of the chunks still to plan: two per CPU worker
_WHISPER_WINDOW_S = 30  # what Whisper's encoder was trained on: the longest window it takes
_FRAMES_PER_S = 100  # mel frames per second of audio

T = TypeVar("T")
R = TypeVar("R")


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
    rows = _RowBuilder(audio_path, vad.regions, config, prompt)
    mark = time.perf_counter()
    if chunks:
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_if_changed(run_dir / "params.json", json.dumps(params, indent=2, sort_keys=True) + "\n")
    batches = _plan_batches(chunks, config.batch_size)
    paths = [[run_dir / f"chunk_{chunk.index:05d}.json" for chunk in batch] for batch in batches]
    on_disk = [
        [_load_chunk(path, chunk, params_hash) for path, chunk in zip(batch_paths, batch, strict=True)]
        for batch_paths, batch in zip(paths, batches, strict=True)
    ]
    # The whole batch is decoded even when some of its chunks are on disk: a chunk's output
    # may depend (in the last float bits) on what it was batched with, so a resumed run must
    # batch exactly as an uninterrupted one did.
    to_decode = [batch for batch, docs in zip(batches, on_disk, strict=True) if any(doc is None for doc in docs)]
    if to_decode and model is None:
        model = load_model(config, info)
    workers = getattr(getattr(model, "model", None), "num_workers", 1)
    decode = functools.partial(_decode_batch, model, audio_path, config=config, prompt=prompt, params_hash=params_hash)
    with contextlib.closing(_in_order(to_decode, decode, workers)) as decoded_batches:
        for batch, batch_paths, docs in zip(batches, paths, on_disk, strict=True):
            fresh = next(decoded_batches) if any(doc is None for doc in docs) else None
            n_new = _save_batch(batch, batch_paths, docs, fresh, rows, on_chunk)
            decoded, resumed = decoded + n_new, resumed + len(batch) - n_new
    timings["decode"] = time.perf_counter() - mark

    mark = time.perf_counter()
    segments, words = rows.finish()
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


def load_model(config: AsrConfig, info: AsrModelInfo | None = None):
    """The Whisper model ``config`` decodes with: its device, compute type and worker layout."""
    device, compute_type = choose_device(config.device, config.compute_type)
    workers, threads = decode_layout(device, config.cpu_threads, config.decode_workers)
    return load_whisper(info or resolve_model(config.model_path), device, compute_type, threads, workers)


def _in_order(items: list[T], work: Callable[[T], R], workers: int) -> Iterator[R]:
    """``work(item)`` for every item, yielded in order, with up to ``workers`` running at once.

    Every item is queued at the start, so a worker that finishes while an earlier item is
    still running takes the next one instead of waiting for the earlier one to be handed in
    (the results are chunk documents, a few kB each).  The caller writes each result while
    the next ones decode.  Closing the generator (the caller stopped: an error, an
    interrupt) cancels what has not started and waits for what has, so no decode outlives
    the run that asked for it.
    """
    if workers <= 1:
        for item in items:
            yield work(item)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr-decode")
    try:
        futures = [pool.submit(work, item) for item in items]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _save_batch(
    batch: list[Chunk],
    paths: list[Path],
    docs: list[dict | None],
    fresh: list[dict] | None,
    rows: _RowBuilder,
    on_chunk: ChunkCallback | None,
) -> int:
    """Write a batch's newly decoded chunks (atomically, one by one) and build every chunk's
    rows; returns how many were newly decoded."""
    n_new = 0
    for k, (chunk, path, doc) in enumerate(zip(batch, paths, docs, strict=True)):
        from_disk = doc is not None
        if doc is None:
            assert fresh is not None
            text = json.dumps(fresh[k], ensure_ascii=False, separators=(",", ":"))
            atomic_write_text(path, text + "\n")
            fault_point("asr:chunk_saved")  # some chunks saved, the transcript not yet written
            doc = json.loads(text)  # the same floats a resumed run will read back
            n_new += 1
        rows.add(doc)
        if on_chunk is not None:
            on_chunk(chunk, from_disk)
    return n_new


def chunk_audio(audio_path: Path, chunk: Chunk) -> np.ndarray:
    """The joined float32 audio Whisper gets for ``chunk`` (pieces + inserted silences)."""
    parts: list[np.ndarray] = []
    for piece in chunk.pieces:
        samples = read_window(audio_path, piece.start_s, piece.end_s)
        if samples.size < piece.n:  # the file ended early: keep the time map valid
            samples = np.concatenate([samples, np.zeros(piece.n - samples.size, dtype=np.float32)])
        parts.append(samples)
    return _with_silences(parts, chunk.join_samples)


def _with_silences(parts: list[np.ndarray], join_n: int) -> np.ndarray:
    """``parts`` end to end with ``join_n`` samples of silence between them (a single part as it is)."""
    if len(parts) <= 1:
        return parts[0] if parts else np.zeros(0, dtype=np.float32)
    gap = np.zeros(join_n, dtype=np.float32)
    joined = [parts[0]]
    for part in parts[1:]:
        joined += [gap, part]
    return np.concatenate(joined)


def _plan_batches(chunks: list[Chunk], size: int) -> list[list[Chunk]]:
    """The chunks in batches of similar length, longest first, tapering to single chunks.

    A batch's encoder window is as long as its longest clip plus ``window_pad_s`` (see
    :func:`_decode_clips`), so short chunks only save work when they are batched together.
    Longest first also puts the cheapest chunks in the single-chunk batches at the end
    (longest processing time first), where the two workers should finish together.  The
    order follows from the plan alone (ties by index), so a resumed run batches alike.
    """
    return _tapered_batches(sorted(chunks, key=lambda chunk: (-chunk.n_samples, chunk.index)), size)


def _tapered_batches(chunks: list[Chunk], size: int) -> list[list[Chunk]]:
    """The chunks, in the order given, in batches of ``size`` that shrink towards the end, down to one chunk.

    Each batch takes a quarter of the chunks still left, at most ``size`` and at least one
    (guided self-scheduling), so the last few batches are small.  Two workers decode two
    batches at once on CPU and a batch takes seconds per chunk, so with full batches to the
    end one worker sat idle while the other finished the last one: 3-5 s of a 40-45 s decode
    on the 30-minute bench streams.  With the tail in one- and two-chunk batches they finish
    within about a chunk of each other.  On one CPU thread a small batch costs no more per
    chunk than a full one (batches of 8, 4, 2 and 1 over 40 chunks of a bench stream: within
    the VM's noise), so the taper is free there; on a GPU the few small batches at the end are a small share of the
    decode.  The grouping follows from the plan alone, so a resumed run batches exactly as
    an uninterrupted one did.
    """
    batches, start = [], 0
    while start < len(chunks):
        take = min(size, max(1, -(-(len(chunks) - start) // _TAPER_SHARE)))
        batches.append(chunks[start : start + take])
        start += take
    return batches


def _decode_batch(
    model, audio_path: Path, batch: list[Chunk], config: AsrConfig, prompt: str | None, params_hash: str
) -> list[dict]:
    """Decode several chunks in batched Whisper calls; one chunk document each.

    Whisper (in a batch, without the sequential decoder's seek-and-retry) skips speech:
    now and then it starts a chunk a sentence late or gives up after a word or two, and
    words near the 30 s edge of its window are left out (its training windows cut such
    words off).  So any stretch of a chunk at least ``config.redo_gap_s`` long that no
    decoded word covers (see :func:`_skipped`) is decoded again, for up to
    ``config.redo_rounds`` rounds.  On the generated 30-minute streams (seeds 100-102,
    bench/asr.py), decoding without timestamp tokens, the second look took WER from 32.2 % to
    27.2 % (deletions 1639 -> 588).

    The stretches of one round are packed end to end into clips of at most one chunk
    (:func:`_pack_stretches`), joined by the chunks' silence: Whisper's encoder costs the
    same for 3 s as for 30 s (half the decode time on CPU), and one clip per stretch made
    the second look cost a third of the stage's time.  All of it depends only on the batch,
    so a resumed run repeats it exactly.

    Before the second look, a chunk whose first pass loops is decoded once more with
    repeated n-grams banned (:func:`_retry_loops`), and a chunk whose first pass skipped a
    stretch is decoded once more whole in the other timestamp mode
    (:func:`_look_in_other_mode`); the second look then covers what both left out.
    """
    audios = [chunk_audio(audio_path, chunk) for chunk in batch]
    found: list[list[dict]] = [[] for _ in batch]
    max_n = int(round(config.chunks.max_s * SAMPLE_RATE))
    join_n = int(round(config.chunks.join_silence_s * SAMPLE_RATE))
    # (chunk, start sample, end sample) of the audio to decode in the next round
    todo = [(k, 0, audio.size) for k, audio in enumerate(audios)]
    tried: set[tuple[int, int, int]] = set()
    for _round in range(1 + config.redo_rounds):
        todo = [item for item in todo if item not in tried]
        if not todo:
            break
        tried.update(todo)
        clips = [[item] for item in todo] if _round == 0 else _pack_stretches(todo, max_n, join_n)
        joined = [_with_silences([audios[k][lo:hi] for k, lo, hi in clip], join_n) for clip in clips]
        for clip, segments in zip(clips, _decode_clips(model, joined, config, prompt), strict=True):
            for (k, lo, hi), part in zip(clip, _split_packed(clip, segments, join_n), strict=True):
                if _round:
                    # A second look at a stretch with no words is where Whisper loops ("see you in
                    # the next video" x 30 over music): such output is dropped, the first pass stands.
                    part = [seg for seg in part if not _loops(seg, config)]
                    if _any_loops(part, config):  # one repeat per segment: the loop only shows across them
                        part = []
                shift = lo / SAMPLE_RATE
                for segment in part:
                    segment["start"] += shift
                    segment["end"] += shift
                    for word in segment["words"]:
                        word[0] += shift
                        word[1] += shift
                found[k].extend(part)
        if _round == 0 and config.loop_retry_ngram:
            _retry_loops(model, audios, found, config, prompt)
        if _round == 0 and config.other_mode_look:
            _look_in_other_mode(model, audios, found, config, prompt)
        todo = [
            (k, lo, hi)
            for k in sorted({k for k, _lo, _hi in todo})
            if found[k]  # a chunk Whisper found nothing in is not retried: it is music or noise
            for lo, hi in _skipped(found[k], audios[k].size, config.redo_gap_s)
        ]
    for segments in found:
        segments.sort(key=lambda seg: (seg["start"], seg["end"]))
    docs = []
    for k, chunk in enumerate(batch):
        limit = audios[k].size / SAMPLE_RATE
        segments = [
            {
                "start_s": _map(chunk, seg["start"], limit, is_end=False),
                "end_s": _map(chunk, seg["end"], limit, is_end=True),
                "text": seg["text"],
                "avg_logprob": seg["avg_logprob"],
                "no_speech_prob": seg["no_speech_prob"],
                "compression_ratio": seg["compression_ratio"],
                "words": [
                    [_map(chunk, w0, limit, is_end=False), _map(chunk, w1, limit, is_end=True), word, p]
                    for w0, w1, word, p in seg["words"]
                ],
            }
            for seg in found[k]
        ]
        docs.append({"format": CHUNK_FORMAT_VERSION, "params_hash": params_hash, "chunk": chunk.to_dict(), "segments": segments})
    return docs


def _retry_loops(model, audios: list[np.ndarray], found: list[list[dict]], config: AsrConfig, prompt: str | None) -> None:
    """Decode again, with repeated token n-grams banned, each chunk whose first pass looped.

    Beam search without the sequential decoder's temperature fallback has no way out of
    a loop ("2-1-2-2-2-2..." after a countdown, a catchphrase thirty times): the segment
    is flagged, and the words around it in the chunk are lost.  Banning repeats of
    ``config.loop_retry_ngram`` tokens (CTranslate2's ``no_repeat_ngram_size``) stops the
    loop; it would also block a sentence said twice, so it is used only for chunks that
    looped (:func:`_any_loops`), and its output replaces the first pass only when it does not loop.
    Deterministic, so a resumed run repeats it exactly.
    """
    looping = [k for k, segments in enumerate(found) if _any_loops(segments, config)]
    if not looping:
        return
    retried = _decode_clips(model, [audios[k] for k in looping], config, prompt, no_repeat_ngram_size=config.loop_retry_ngram)
    for k, segments in zip(looping, retried, strict=True):
        if segments and not _any_loops(segments, config):
            found[k] = segments


def _look_in_other_mode(model, audios: list[np.ndarray], found: list[list[dict]], config: AsrConfig, prompt: str | None) -> None:
    """Decode again, whole and in the other timestamp mode, each chunk whose first pass skipped speech,
    and keep the decode that skips less (:func:`_skips_less`).

    Whisper with and without timestamp tokens fails on different chunks: one stops after a
    sentence or leaves a stretch out where the other reads the chunk through.  A stretch
    decoded alone (the second look) starts and ends mid-word and loses the sentence around
    it ("replay Medicaid and NN10 Mac" for "replay that cave and then head back, thanks
    Marcus"); the whole chunk decoded the other way reads it in context.  Only chunks with a
    stretch of ``config.redo_gap_s`` without words are decoded again (about one in nine on the
    generated tuning streams).  Deterministic, so a resumed run repeats it exactly.
    """
    gappy = [k for k, segments in enumerate(found) if segments and _skipped(segments, audios[k].size, config.redo_gap_s)]
    if not gappy:
        return
    other = _decode_clips(model, [audios[k] for k in gappy], config, prompt, timestamps=not config.timestamps)
    for k, segments in zip(gappy, other, strict=True):
        if _skips_less(segments, found[k], audios[k].size, config):
            found[k] = segments


def _skips_less(other: list[dict], first: list[dict], n_samples: int, config: AsrConfig) -> bool:
    """``other`` leaves at least ``_OTHER_MODE_MARGIN_S`` less of the chunk without words than
    ``first`` and does not loop (a loop's words cover the audio, but not with what was said)."""

    def skipped_s(segments: list[dict]) -> float:
        return sum(hi - lo for lo, hi in _skipped(segments, n_samples, config.redo_gap_s)) / SAMPLE_RATE

    return bool(other) and skipped_s(other) + _OTHER_MODE_MARGIN_S <= skipped_s(first) and not _any_loops(other, config)


def _loops(segment: dict, config: AsrConfig) -> bool:
    """A decoded segment that compresses too well or repeats a word or phrase back to back
    (the default gate thresholds: the decode must not depend on settings outside the hash)."""
    return segment["compression_ratio"] > config.redo_max_compression_ratio or repetition_loop(segment["text"]) is not None


def _any_loops(segments: list[dict], config: AsrConfig) -> bool:
    """Some segment loops, or their text does as a whole: with timestamps Whisper often writes
    each repeat of a looping sentence as a segment of its own ("I'm getting tea after this
    round." x 4, each one a segment, none of them looping alone)."""
    return any(_loops(seg, config) for seg in segments) or (
        len(segments) > 1 and repetition_loop(" ".join(seg["text"] for seg in segments)) is not None
    )


Stretch = tuple[int, int, int]  # (chunk in the batch, start sample, end sample) of a chunk's audio


def _pack_stretches(stretches: list[Stretch], max_n: int, join_n: int) -> list[list[Stretch]]:
    """Group stretches, in order, into clips of at most ``max_n`` samples with joins between."""
    clips: list[list[Stretch]] = []
    length = 0
    for stretch in stretches:
        n = stretch[2] - stretch[1]
        if clips and length + join_n + n <= max_n:
            clips[-1].append(stretch)
            length += join_n + n
        else:
            clips.append([stretch])
            length = n
    return clips


def _split_packed(clip: list[Stretch], segments: list[dict], join_n: int) -> list[list[dict]]:
    """Each stretch's segments, with times local to the stretch, from one packed clip's output.

    A word belongs to the stretch it starts in (one starting in a join, to the stretch
    after it); a segment spanning several stretches becomes one segment per stretch, its
    text rebuilt from its words, its compression ratio that of its own text.  With a
    single stretch the segments pass through unchanged.
    """
    if len(clip) == 1:
        return [segments]
    starts, ends, position = [], [], 0
    for _k, lo, hi in clip:
        starts.append(position / SAMPLE_RATE)
        ends.append((position + hi - lo) / SAMPLE_RATE)
        position += hi - lo + join_n
    out: list[list[dict]] = [[] for _ in clip]
    for segment in segments:
        by_part: dict[int, list[list]] = {}
        for word in segment["words"]:
            i = min(len(clip) - 1, bisect.bisect_right(ends, word[0]))
            w0 = min(max(word[0] - starts[i], 0.0), ends[i] - starts[i])
            w1 = min(max(word[1] - starts[i], w0), ends[i] - starts[i])
            by_part.setdefault(i, []).append([w0, w1, word[2], word[3]])
        for i, words in by_part.items():
            text = "".join(w[2] for w in words)
            out[i].append({
                **segment,
                "start": words[0][0],
                "end": words[-1][1],
                "text": text,
                "compression_ratio": round(text_compression_ratio(text.strip()), 6),
                "words": words,
            })
    return out


def _skipped(segments: list[dict], n_samples: int, min_gap_s: float) -> list[tuple[int, int]]:
    """Stretches (samples) of a chunk no decoded word covers, at least ``min_gap_s`` long.

    A chunk is speech with pauses under a second, so a longer stretch without words is
    speech Whisper skipped (or music the VAD let in).  A word "lasting" longer than
    ``_MAX_WORD_S`` is the aligner stretching it over skipped audio, so it only covers
    ``_MAX_WORD_S`` from its start.
    """
    spans = sorted((w[0], min(w[1], w[0] + _MAX_WORD_S)) for seg in segments for w in seg["words"])
    gaps, covered = [], 0.0
    for start, end in [*spans, (n_samples / SAMPLE_RATE, n_samples / SAMPLE_RATE)]:
        if start - covered >= min_gap_s:
            gaps.append((int(round(covered * SAMPLE_RATE)), min(n_samples, int(round(start * SAMPLE_RATE)))))
        covered = max(covered, end)
    return gaps


def _decode_clips(
    model,
    audios: list[np.ndarray],
    config: AsrConfig,
    prompt: str | None,
    *,
    no_repeat_ngram_size: int = 0,
    timestamps: bool | None = None,
) -> list[list[dict]]:
    """One batched Whisper call over several clips (each at most 30 s); times are clip-local.

    faster-whisper's ``BatchedInferencePipeline`` takes one array and clip times in it, so
    each clip is padded with silence to whole seconds and laid end to end: clip offsets are
    then exact integers, and a segment's ``seek`` (offset x 100 frames) names its clip.
    The encoder window is the longest clip plus ``config.window_pad_s`` of silence, at most
    Whisper's 30 s (:func:`_cut_window_pipeline`).
    """
    seconds = [max(1, -(-a.size // SAMPLE_RATE)) for a in audios]
    joined = np.zeros(sum(seconds) * SAMPLE_RATE, dtype=np.float32)
    clips, offsets, position = [], [], 0
    for a, n in zip(audios, seconds, strict=True):
        joined[position * SAMPLE_RATE : position * SAMPLE_RATE + a.size] = a
        clips.append({"start": position, "end": position + n})
        offsets.append(position)
        position += n
    window_s = min(_WHISPER_WINDOW_S, max(seconds) + config.window_pad_s)
    segments, _info = _cut_window_pipeline()(model, frames=int(round(window_s * _FRAMES_PER_S))).transcribe(
        joined,
        language="en",
        task="transcribe",
        beam_size=config.beam_size,
        temperature=config.temperature,
        word_timestamps=True,
        without_timestamps=not (config.timestamps if timestamps is None else timestamps),
        vad_filter=False,  # the clips are our own speech chunks
        clip_timestamps=clips,
        batch_size=len(audios),
        max_new_tokens=config.max_new_tokens,
        no_repeat_ngram_size=no_repeat_ngram_size,
        initial_prompt=prompt if config.lexicon_mode == "initial_prompt" else None,
        hotwords=prompt if config.lexicon_mode == "hotwords" else None,
        log_progress=False,
    )
    by_seek = {offset * 100: k for k, offset in enumerate(offsets)}
    out: list[list[dict]] = [[] for _ in audios]
    for segment in segments:
        k = by_seek[int(segment.seek)]
        offset, limit = float(offsets[k]), audios[k].size / SAMPLE_RATE

        def local(t: float) -> float:
            return min(max(float(t) - offset, 0.0), limit)

        out[k].append(
            {
                "start": local(segment.start),
                "end": local(segment.end),
                "text": segment.text,
                "avg_logprob": round(float(segment.avg_logprob), 6),
                "no_speech_prob": round(float(segment.no_speech_prob), 6),
                "compression_ratio": round(float(segment.compression_ratio), 6),
                "words": [
                    [local(w.start), local(w.end), w.word, round(float(w.probability), 6)]
                    for w in (segment.words or [])
                    if w.word.strip()
                ],
            }
        )
    return out


@functools.cache
def _cut_window_pipeline() -> type:
    """faster-whisper's batched pipeline with the encoder window cut to ``frames`` mel frames,
    and each clip followed by silence (a class made on first use: faster-whisper is heavy to import).

    The pipeline pads every clip's features to Whisper's 30 s; CTranslate2's encoder takes
    fewer frames, and the encoder pass, the decoder's cross-attention and the word alignment
    all cost less with them.  ``frames`` must cover the longest clip of the call.

    It pads with the value 0, which in Whisper's log-mel scale is not silence but a steady
    sound at about the speech's median level (the clips of the bench streams: median
    0.0-0.1, floor -0.7).  Whisper was trained on windows padded with silent *audio*, whose
    features sit at the clip's floor; so the padding is set to that floor
    (:func:`_pad_with_silence`).  With it, 8 s of silence after the longest clip decode as
    well as 15 s of the steady sound did, and the windows are shorter (``window_pad_s``).
    """
    from faster_whisper import BatchedInferencePipeline

    class CutWindowPipeline(BatchedInferencePipeline):
        def __init__(self, model, *, frames: int) -> None:
            super().__init__(model)
            self.frames = frames

        def forward(self, features, tokenizer, chunks_metadata, options):
            # a view (faster-whisper makes it contiguous once, as it hands it to CTranslate2);
            # the stacked features are the pipeline's own, written in place
            window = features[..., : self.frames]
            for clip, metadata in zip(window, chunks_metadata, strict=True):
                _pad_with_silence(clip, math.ceil(metadata["duration"]) * _FRAMES_PER_S)
            return super().forward(window, tokenizer, chunks_metadata, options)

    return CutWindowPipeline


def _pad_with_silence(features: np.ndarray, n_frames: int) -> None:
    """Set the frames after a clip's first ``n_frames`` to the log-mel of silence, in place.

    Whisper's features are ``(max(log10 power, its maximum - 8) + 4) / 4``, so silent audio
    lands on the clip's maximum - 2.  A clip is whole seconds (:func:`_decode_clips`), so its
    own features are exactly ``n_frames`` long.
    """
    if 0 < n_frames < features.shape[-1]:
        features[..., n_frames:] = features[..., :n_frames].max() - 2.0


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


@dataclass
class _MeasuredSegment:
    """A refined segment with what its gate and the speaker split need, taken on arrival."""

    raw: RawSegment
    text: str
    speech_fraction: float
    compression_ratio: float
    word_logprob: float | None
    pitch: float | None = None
    pitch_taken: bool = False


class _RowBuilder:
    """Segment and word rows from chunk documents, fed in any order as each one is saved.

    The main thread only waits while the workers decode, so it refines each chunk's segments
    and measures the pitch of each one the gates pass (reading the audio: the costly part)
    as soon as the chunk arrives.  Batches come longest chunk first, so chunks arrive out of
    order; the rows themselves are built in chunk order, once every earlier chunk is in,
    because a segment's gate compares it with the one before it.  After the last chunk only
    that and the two-voice clustering are left.  Rows depend on the documents alone, so
    feeding them one by one, in any order, gives exactly what building them all at the end did.
    """

    def __init__(self, audio_path: Path, regions: list[SpeechRegion], config: AsrConfig, prompt: str | None):
        self.audio_path, self.regions, self.config, self.prompt = audio_path, regions, config, prompt
        self.segments: list[TranscriptSegment] = []
        self.words: list[TranscriptWord] = []
        self.pitches: dict[int, float | None] = {}  # segment position -> pitch, voiced segments only
        self._previous_text: str | None = None
        self._waiting: dict[int, list[_MeasuredSegment]] = {}  # chunk index -> its segments, not yet rows
        self._next_chunk = 0

    def add(self, doc: dict) -> None:
        measured = []
        # by time: a first-pass segment that spanned a stretch it skipped is split at that pause
        # by ``refine``, and the second look's segments for the stretch belong between its parts
        for raw in sorted(refine(_raw_segments(doc), self.regions, self.config.segments), key=lambda r: (r.start_s, r.end_s)):
            text = raw.text.strip()
            measured.append(_MeasuredSegment(
                raw=raw,
                text=text,
                speech_fraction=round(speech_fraction(self.regions, raw.start_s, raw.end_s), 4),
                compression_ratio=round(text_compression_ratio(text), 4),
                word_logprob=word_logprob(raw.words),
            ))
        if self.config.assign_speakers:
            # The chunk's first segment meets its real predecessor only when rows are built;
            # a predecessor can only add a reason to flag it, so measuring it now is never short.
            previous = None
            for segment in measured:
                if self._gate(segment, previous).flag in _VOICED_FLAGS:
                    self._take_pitch(segment)
                previous = segment.text
        self._waiting[doc["chunk"]["index"]] = measured
        while self._next_chunk in self._waiting:
            self._build(self._next_chunk, self._waiting.pop(self._next_chunk))
            self._next_chunk += 1

    def _take_pitch(self, segment: _MeasuredSegment) -> None:
        segment.pitch = pitch_of_span(self.audio_path, segment.raw.start_s, segment.raw.end_s)
        segment.pitch_taken = True

    def _gate(self, segment: _MeasuredSegment, previous_text: str | None) -> GateResult:
        raw = segment.raw
        return gate_segment(
            GateInput(
                text=segment.text,
                avg_logprob=raw.avg_logprob,
                no_speech_prob=raw.no_speech_prob,
                compression_ratio=segment.compression_ratio,
                word_logprob=segment.word_logprob,
                speech_fraction=segment.speech_fraction if raw.end_s > raw.start_s else None,
                previous_text=previous_text,
                prompt=self.prompt,
            ),
            self.config.gates,
        )

    def _build(self, chunk_index: int, measured: list[_MeasuredSegment]) -> None:
        for n, segment in enumerate(measured):
            raw = segment.raw
            segment_id = f"{chunk_index:05d}-{n:03d}"
            gate = self._gate(segment, self._previous_text)
            self._previous_text = segment.text
            if self.config.assign_speakers and gate.flag in _VOICED_FLAGS:
                if not segment.pitch_taken:
                    self._take_pitch(segment)
                self.pitches[len(self.segments)] = segment.pitch
            self.segments.append(
                TranscriptSegment(
                    segment_id=segment_id,
                    chunk_index=chunk_index,
                    start_s=raw.start_s,
                    end_s=raw.end_s,
                    text=segment.text,
                    avg_logprob=raw.avg_logprob,
                    no_speech_prob=raw.no_speech_prob,
                    compression_ratio=segment.compression_ratio,
                    window_compression_ratio=raw.window_compression_ratio,
                    word_logprob=None if segment.word_logprob is None else round(segment.word_logprob, 4),
                    speech_fraction=segment.speech_fraction,
                    quality_flag=gate.flag,
                    quality_reason=gate.reason,
                    speaker=None,
                )
            )
            for i, w in enumerate(raw.words):
                self.words.append(TranscriptWord(segment_id, i, w.start_s, w.end_s, w.word.strip(), w.probability))

    def finish(self) -> tuple[list[TranscriptSegment], list[TranscriptWord]]:
        """The rows, with speaker labels from the voiced segments only (music or noise would
        blur the two voices)."""
        if self._waiting:
            raise RuntimeError(f"chunks {sorted(self._waiting)} were added, but not chunk {self._next_chunk}")
        if not (self.config.assign_speakers and self.segments):
            return self.segments, self.words
        voiced = sorted(self.pitches)
        labels = speaker_labels([self.segments[i] for i in voiced], [self.pitches[i] for i in voiced])
        by_index = dict(zip(voiced, labels, strict=True))
        return [replace(s, speaker=by_index.get(i)) for i, s in enumerate(self.segments)], self.words
