"""Every knob of the transcription, and the hash that says which finished chunks are reusable.

The params hash covers exactly what changes Whisper's output for a chunk: the model's
content checksum (not its path), device and compute type, decoding options, VAD and chunk
parameters, and the lexicon prompt actually sent.  Segment refinement, gate thresholds and speaker
settings are applied after decoding, so changing them re-uses every finished chunk.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.asr.chunks import ChunkParams
from dougchat_assets.asr.gates import GateThresholds
from dougchat_assets.asr.lexicon import lexicon_prompt, load_lexicon
from dougchat_assets.asr.model import AsrModelInfo, choose_device, resolve_model
from dougchat_assets.asr.segmenting import SegmentParams
from dougchat_assets.asr.vad import VadParams

# Bump when the chunk file layout or the decode/mapping logic changes meaning.
CHUNK_FORMAT_VERSION = 9  # 2: chunks decoded in fixed batches (BatchedInferencePipeline); 3: second-look stretches packed;
# 4: batches come in pairs of near-equal size; 5: batches taper to one chunk at the end; 6: chunks batched longest
# first, the encoder window cut to the batch's longest clip plus window_pad_s; 7: the window after a clip is silence;
# 8: a loop across a chunk's or a stretch's segments counts as a loop; 9: a chunk that skipped speech is decoded
# again whole in the other timestamp mode


# The decode parameters the manifest repeats by name (``decode_params`` is the one source).
_MANIFEST_DECODE_KEYS = ("device", "compute_type", "beam_size", "temperature", "batch_size", "window_pad_s", "timestamps",
                         "other_mode_look", "redo_gap_s", "redo_rounds", "redo_max_compression_ratio", "loop_retry_ngram", "max_new_tokens", "vad", "chunks")


class AsrConfig(BaseModel):
    """Configuration of :func:`dougchat_assets.asr.transcribe.transcribe_file`."""

    model_config = ConfigDict(frozen=True)

    model_path: str | None = Field(None, description="CTranslate2 Whisper folder; None = bundled tiny.en")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = Field("auto", description="auto = float16 on CUDA, int8 on CPU")
    cpu_threads: int = Field(0, ge=0, description="threads for all decode workers; 0 = one per core, up to 4; not part of the hash")
    beam_size: int = Field(5, ge=1)
    # One temperature: fallback sampling at higher temperatures uses CTranslate2's
    # per-thread random generator, which cannot be re-seeded per chunk, so it would make
    # a resumed run differ from a fresh one.  Loops that fallback would fix are flagged.
    temperature: float = Field(0.0, ge=0.0, le=1.0)
    batch_size: int = Field(8, ge=1, description="chunks per batched Whisper call (fixed groups, longest chunks first)")
    # faster-whisper gives the encoder a 30 s window; its cost grows with the window (attention
    # more than linearly), not with the speech in it.  The silence Whisper hears after the last
    # word is part of what makes 20 s chunks accurate, so the window ends this long after the
    # batch's longest clip (at most 30 s); chunks are batched by length so that short ones share
    # short windows.  faster-whisper's batched pipeline pads with a steady sound at about the
    # speech's level (feature value 0), not silence; since the padding is the clip's silence
    # floor (transcribe._pad_with_silence), a short pad does as well as a long one did.
    # Stage WER by pad, tuned on seeds 100-102, checked on 107-109 (plain faster-whisper on
    # them: 26.4 % and 17.1 %); wall on all six as a multiple of the batched pipeline's:
    #                         100-102     107-109     demo VODs
    #   padded with 0 (before):
    #     10 s                25.75 %                 15.9 %
    #     15 s                25.4 %      16.2 %      14.7 %     wall 1.06 x
    #     30 s                26.15 %                 14.6 %
    #   padded with silence:
    #     3 s                 26.2 %
    #     6 s                 25.7 %      15.4 %      15.0 %
    #     8 s                 25.4 %      15.6 %      15.2 % (gate-passed 14.5 %, was 14.7)   wall 0.90 x
    #     10 s                25.8 %      15.9 %
    #     12 s                26.6 %      16.3 %
    #     15 s                25.7 %
    # (100-102 with 0 padding at 10 and 30 s: batches by index).  The held-out figures are in
    # bench/asr.py's output and the README.
    window_pad_s: float = Field(
        8.0, ge=0, le=30, description="encoder window = the batch's longest clip + this much silence, at most 30 s"
    )
    # Not part of the hash: a batch decodes to the same output whichever worker runs it and
    # however many threads that worker has (checked by a test on real audio).
    decode_workers: int = Field(
        0, ge=0, description="batches decoded at once, cpu_threads split between them; 0 = 2 on CPU, 1 on CUDA"
    )
    # The decode is a speed/accuracy choice that did not carry over between seed ranges.
    # Generated 30-minute streams, bench/asr.py, 2 CPU threads, WER / wall as a multiple of
    # faster-whisper's batched pipeline on the same audio, one decode worker (2 threads):
    #                                           tuned on 100-102    held out 103-105
    #   these defaults (20 s chunks, timestamps,
    #   one second look)                         27.5 % / 1.46 x     23.0 % / 1.44 x
    #   30 s chunks, no timestamp tokens, two
    #   packed second looks                      26.1 % / 1.05 x     23.7 % / 1.19 x
    #   the same with 28 s chunks                28.6 % / 1.11 x     25.2 % / 1.13 x
    # (plain sequential faster-whisper: 27.1 % and 22.2-23.2 %; its temperature fallback
    # samples).  Two decode workers of one thread each (``decode_workers``, the default on
    # CPU; same output) took the held-out walls to 1.19 x (defaults, 22.95 % vs plain 22.92 %
    # in that run), 0.90 x (30 s, 23.7 %) and 0.96 x (28 s, 25.2 %); three workers on the
    # two threads: 1.12 x for the defaults, but 2.3 GB peak RSS instead of 1.8 GB.  Then batches
    # in pairs of near-equal size, a queued batch per worker, and rows and speaker pitches
    # built while later chunks decode (workers were busy 90-93 % of the decode, the labelling
    # ran alone after it): 1.07 x in one run, 1.12 x as the median of three alternating runs
    # (``--repeat 3``; the stage does 1.34 x the batched pipeline's CPU work: 80 encoder passes
    # of 20 s chunks and second looks against its ~45 of 30 s).  Three workers on the two
    # threads instead: 1.065 x vs 1.079 x and 1.127 x vs 1.151 x in two paired runs, not kept.
    # Then batches that taper to single chunks at the end, all queued at the start (the pairs
    # still left one worker idle for 3-5 s at the end), a faster VAD read, and the loop retry
    # (``loop_retry_ngram``): held out 1.00 x as the median of three (126.5 s vs 127.0 s; the
    # stage's CPU work 1.17 x the batched pipeline's), WER 22.6 % against plain's 22.9 % in
    # that session; but 1.24 x (CPU 1.45 x) in one full run of the bench later that session.  Then
    # encoder windows cut after the longest clip (``window_pad_s``, figures there).  Single-chunk
    # batches cost no more per chunk than full ones on one thread
    # (batch 8/4/2/1 on 40 chunks: within the VM's noise); smaller batches throughout: not
    # faster in whole-stream runs.  Whisper without timestamp tokens skips more speech than the second look
    # recovers on some voices (seed 105: 38 % vs 31.5 %), so the accurate setting was the
    # default; ``timestamps=False, redo_rounds=2, chunks.max_s=30`` the fast one.  Without
    # timestamps Whisper writes one segment per chunk; segments are split at pauses and
    # sentence ends by their word times afterwards.
    # Tried and not kept (same bench, same 2 threads; encoder passes are half the stage's time):
    #   - the encoder fed only 21 s of mel instead of Whisper's 30 s window (CTranslate2 takes
    #     shorter input): wall -23 %, but WER +1.3 points on seeds 100-101 (23 s: +1.7, 25 s: +0.9);
    #   - 24 s chunks: seeds 100-102 WER +0.7 points, held out 103-105 22.9 % -> 24.7 %, wall -7 %;
    #   - decoding a chunk again in two halves when its words per second of speech fall under half
    #     its batch's median (Whisper read one sentence and stopped): no WER change at 20 s chunks;
    #   - beam 1 / 2 instead of 5 (seeds 100-102): WER 26.8 % -> 30.9 % / 28.7 %, wall -16 % / -18 %.
    # Then (2026-12-01, with the silence padding) a chunk whose first pass skipped a stretch
    # decoded again whole in the other timestamp mode (``other_mode_look``), and no timestamp
    # tokens in the first pass.  Decoded both ways without a second look, every chunk of seeds
    # 100-102 / 107-109: 2767 / 1865 errors with timestamps, 2723 / 1810 without, 2493 / 1609
    # taking the other mode's decode where it skips at least 1 s less.  The two modes fail on
    # different chunks (one stops after a sentence where the other reads through), and a
    # stretch decoded alone loses the words at its edges.  The stage (second look included),
    # WER on 100-102 / 107-109 / the 2-hour tuning stream 110 (plain faster-whisper 26.4 % /
    # 17.1 % / 45.3 %):
    #   timestamps, no other-mode look (before)            25.1 % / 15.6 % / 40.4 %
    #   timestamps + other-mode look                        25.1 %
    #   no timestamps + other-mode look (the defaults)      24.4 % / 14.9 % / 39.0 %
    #   the same with redo_rounds=2                         24.4 %
    # Held out (bench/asr.py --repeat 2): 22.2 % -> 20.8 % against plain's 22.2 %, wall 0.90 x ->
    # 1.06 x the batched pipeline's (about one chunk in nine is decoded again whole).
    timestamps: bool = Field(False, description="let Whisper predict timestamp tokens (segments within a chunk)")
    other_mode_look: bool = Field(True, description="a chunk that skipped speech is decoded again whole in the other timestamp mode")
    redo_gap_s: float = Field(2.0, gt=0, description="decode again a stretch of a chunk this long with no words")
    redo_rounds: int = Field(1, ge=0, description="how often skipped stretches are decoded again")
    # A loop runs to Whisper's 448-token limit, and in a batch every chunk waits for it; a
    # 20 s chunk of fast speech (200 wpm) needs about 100 tokens with timestamps.  200 on the
    # 30-minute streams (seeds 100-102): a looping stream 90 s -> 67 s, WER 54.4 -> 47.2 %.
    max_new_tokens: int | None = Field(200, ge=16, le=440, description="token budget per chunk; None = Whisper's limit")
    redo_max_compression_ratio: float = Field(2.4, gt=0, description="a decode that compresses better is a loop (so is a phrase back to back)")
    # Beam search without temperature fallback cannot leave a loop ("3-2-1-2-1-2-2-2-2..." after
    # a countdown): the chunk's other words are lost with it.  Decoding such a chunk again with
    # repeated n-grams banned, seeds 100-102: WER 27.5 % -> 26.2 % (the looping stream 101:
    # 47.0 -> 43.7 %), 3- and 4-grams alike (4 bans less of what is really said twice), and
    # less CPU (a loop runs to max_new_tokens while its whole batch waits).
    loop_retry_ngram: int = Field(
        4, ge=0, description="a chunk whose first pass loops is decoded again with repeats of this many tokens banned; 0 = off"
    )
    vad: VadParams = VadParams()
    chunks: ChunkParams = ChunkParams()
    # Measured with tiny.en (see bench/asr.py --lexicon): on clean espeak speech a 5-term
    # prompt cut WER on the gate-passed text from 7.4% to 4.0%, as an initial_prompt and as
    # hotwords alike; on the distorted demo VODs it gained little (14.3% -> 13.6% with 3
    # terms) and the prompt made Whisper echo stock phrases into pauses (flagged, but lost
    # words).  hotwords did worse than initial_prompt on both, so initial_prompt is the
    # default, with a short budget; no lexicon unless one is configured.
    lexicon_path: str | None = None
    lexicon_mode: Literal["hotwords", "initial_prompt"] = "initial_prompt"
    lexicon_max_tokens: int = Field(40, ge=1, le=200)
    segments: SegmentParams = SegmentParams()
    gates: GateThresholds = GateThresholds()
    assign_speakers: bool = True

    def lexicon_terms(self) -> list[str]:
        return load_lexicon(self.lexicon_path)

    def prompt(self) -> str | None:
        """The hint string sent to Whisper (None without a lexicon)."""
        return lexicon_prompt(self.lexicon_terms(), self.lexicon_max_tokens)

    def decode_params(self, model: AsrModelInfo | None = None) -> dict:
        """What determines a chunk's decoded output (the params hash is taken over this)."""
        model = model or resolve_model(self.model_path)
        device, compute_type = choose_device(self.device, self.compute_type)
        return {
            "format": CHUNK_FORMAT_VERSION,
            "model_sha256": model.sha256,
            "device": device,
            "compute_type": compute_type,
            "beam_size": self.beam_size,
            "temperature": self.temperature,
            "batch_size": self.batch_size,
            "window_pad_s": self.window_pad_s,
            "timestamps": self.timestamps,
            "other_mode_look": self.other_mode_look,
            "redo_gap_s": self.redo_gap_s,
            "redo_rounds": self.redo_rounds,
            "redo_max_compression_ratio": self.redo_max_compression_ratio,
            "loop_retry_ngram": self.loop_retry_ngram,
            "max_new_tokens": self.max_new_tokens,
            "vad": self.vad.model_dump(mode="json"),
            "chunks": self.chunks.model_dump(mode="json"),
            "lexicon_mode": self.lexicon_mode,
            "prompt": self.prompt(),
        }

    def params_hash(self, model: AsrModelInfo | None = None) -> str:
        canonical = json.dumps(self.decode_params(model), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def params_dict(self, model: AsrModelInfo | None = None) -> dict:
        """Everything the manifest should record about how a transcript was made."""
        model = model or resolve_model(self.model_path)
        decode = self.decode_params(model)
        terms = self.lexicon_terms()
        return {
            "model_id": model.model_id,
            "model_sha256": model.sha256,
            "model_path": str(model.path),
            **{key: decode[key] for key in _MANIFEST_DECODE_KEYS},
            "lexicon": {
                "path": None if self.lexicon_path is None else str(Path(self.lexicon_path)),
                "n_terms": len(terms),
                "mode": self.lexicon_mode,
                "prompt": decode["prompt"],
            },
            "segments": self.segments.model_dump(mode="json"),
            "gates": self.gates.model_dump(mode="json"),
            "assign_speakers": self.assign_speakers,
            "chunk_format": CHUNK_FORMAT_VERSION,
            "params_hash": self.params_hash(model),
        }
