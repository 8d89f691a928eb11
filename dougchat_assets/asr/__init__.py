"""ASR: timed, confidence-scored text of what the streamer says (the ``transcripts`` asset).

Pipeline of :func:`transcribe_file`: one streaming webrtcvad pass (``vad``) finds speech,
``chunks`` packs it into Whisper-sized chunks, faster-whisper decodes each chunk
(resumable, one JSON file per finished chunk), ``segmenting`` tightens word times and
splits at pauses, ``gates`` flags segments later stages should not trust, and ``speakers``
labels two clearly different voices.  ``wer`` and ``audits`` measure quality on audited
clips.  Importing this package is light: faster-whisper loads only when a chunk is decoded.
"""

from dougchat_assets.asr.audits import (
    draw_audit_sample,
    load_audits,
    load_script,
    reference_from_script,
    script_reference,
    write_audit_clips,
)
from dougchat_assets.asr.config import AsrConfig
from dougchat_assets.asr.gates import GateInput, GateResult, GateThresholds, gate_segment
from dougchat_assets.asr.lexicon import lexicon_prompt, load_lexicon
from dougchat_assets.asr.model import AsrModelInfo, choose_device, resolve_model
from dougchat_assets.asr.speakers import assign_speakers
from dougchat_assets.asr.transcribe import TranscriptResult, TranscriptSegment, TranscriptWord, transcribe_file
from dougchat_assets.asr.wer import WerResult, normalize_for_wer, word_error_rate

__all__ = [
    "AsrConfig",
    "AsrModelInfo",
    "GateInput",
    "GateResult",
    "GateThresholds",
    "TranscriptResult",
    "TranscriptSegment",
    "TranscriptWord",
    "WerResult",
    "assign_speakers",
    "choose_device",
    "draw_audit_sample",
    "gate_segment",
    "lexicon_prompt",
    "load_audits",
    "load_lexicon",
    "load_script",
    "normalize_for_wer",
    "reference_from_script",
    "resolve_model",
    "script_reference",
    "transcribe_file",
    "word_error_rate",
    "write_audit_clips",
]
