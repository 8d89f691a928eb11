"""Quality gates: should later stages trust this transcript segment?

The numbers: Whisper's average token log-probability and no-speech probability (both
belong to the 30 s decoding window the segment came from), the compression ratio of the
segment's own text, the mean log-probability of its words, and the share of it the VAD
heard as speech.  Each alone misleads: on clean synthetic speech ``no_speech_prob``
reaches 0.78 for real words, so (as Whisper itself does) a segment is only called
non-speech when the model is *also* unsure of its words.  Hallucinations show as text that
compresses too well (loops), n-grams repeated back to back, the same text as the previous
segment, the lexicon prompt echoed back, or stock phrases from Whisper's subtitle training
data ("Thanks for watching", "Subtitles by ...") over audio the VAD barely heard as speech
or decoded without confidence.

Flags, in precedence order: ``non_speech``, ``hallucination``, ``low_confidence``, ``ok``.
The reason lists every check that fired, so a reviewer sees all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

OK = "ok"
LOW_CONFIDENCE = "low_confidence"
HALLUCINATION = "hallucination"
NON_SPEECH = "non_speech"
FLAGS = (OK, LOW_CONFIDENCE, HALLUCINATION, NON_SPEECH)

# Lower-case, punctuation-free phrases Whisper produces from nothing (its training data
# had them on silent credits).  Matched as whole-word substrings of the normalised text.
STOCK_PHRASES: tuple[str, ...] = (
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "thank you very much",
    "thank you",
    "thanks for watching and see you next time",
    "please subscribe",
    "subscribe to my channel",
    "like and subscribe",
    "subtitles by",
    "subtitles made by",
    "captions by",
    "transcribed by",
    "translated by",
    "amara org community",
    "see you in the next video",
    "see you next time",
    "i ll see you next time",
    "bye bye",
    "you",
)


class GateThresholds(BaseModel):
    """Thresholds of the gates (recorded in the manifest; changing them needs no re-decode)."""

    model_config = ConfigDict(frozen=True)

    min_avg_logprob: float = Field(-1.0, description="below this a segment is low_confidence")
    min_word_logprob: float = Field(-1.5, description="mean log word probability below this = low_confidence")
    non_speech_prob: float = Field(0.6, description="no_speech_prob above this ...")
    non_speech_logprob: float = Field(-1.0, description="... AND avg_logprob below this = non_speech")
    max_compression_ratio: float = Field(2.4, description="loops compress well: above this = hallucination")
    max_repeat_unigram: int = Field(4, ge=2, description="one word back to back more often = hallucination")
    max_repeat_ngram: int = Field(2, ge=1, description="a 2-12 word phrase back to back more often")
    min_repeat_chars: int = Field(12, ge=0, description="ignore repeated phrases shorter than this")
    min_speech_fraction: float = Field(
        0.3, ge=0, le=1, description="a stock phrase over less VAD speech than this = hallucination"
    )
    stock_phrase_logprob: float = Field(
        -0.6, description="a stock phrase decoded less confidently than this = hallucination"
    )


@dataclass(frozen=True)
class GateInput:
    """The numbers and text the gates look at for one segment."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float  # of the segment's own text
    word_logprob: float | None = None  # mean log probability of the segment's words
    speech_fraction: float | None = None  # share of the segment the VAD heard as speech
    previous_text: str | None = None  # the preceding segment's text (loop detection)
    prompt: str | None = None  # the lexicon hint given to the decoder (echo detection)


@dataclass(frozen=True)
class GateResult:
    flag: str
    reason: str


_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _plain(text: str) -> str:
    return " ".join(w.replace("'", " ") for w in _words(text))


def gate_segment(segment: GateInput, thresholds: GateThresholds | None = None) -> GateResult:
    """Flag one segment; see the module docstring for what each flag means."""
    th = thresholds or GateThresholds()
    words = _words(segment.text)
    plain = _plain(segment.text)
    non_speech: list[str] = []
    hallucination: list[str] = []
    low: list[str] = []

    if segment.no_speech_prob > th.non_speech_prob and segment.avg_logprob < th.non_speech_logprob:
        non_speech.append(
            f"no_speech_prob {segment.no_speech_prob:.2f} > {th.non_speech_prob} and "
            f"avg_logprob {segment.avg_logprob:.2f} < {th.non_speech_logprob}"
        )
    if not words:
        non_speech.append("no words in the text")

    if segment.compression_ratio > th.max_compression_ratio:
        hallucination.append(f"compression_ratio {segment.compression_ratio:.2f} > {th.max_compression_ratio}")
    repeat = _repeated_run(words, th)
    if repeat:
        hallucination.append(repeat)
    if segment.previous_text is not None and len(words) >= 3 and plain == _plain(segment.previous_text):
        hallucination.append("same text as the previous segment")
    stock = _stock_phrase(plain)
    if stock is not None:
        little_speech = segment.speech_fraction is not None and segment.speech_fraction < th.min_speech_fraction
        unsure = segment.avg_logprob < th.stock_phrase_logprob
        if little_speech or unsure:
            why = (
                f"speech fraction {segment.speech_fraction:.2f} < {th.min_speech_fraction}"
                if little_speech
                else f"avg_logprob {segment.avg_logprob:.2f} < {th.stock_phrase_logprob}"
            )
            hallucination.append(f"stock phrase {stock!r} with {why}")
    if segment.prompt and words and _is_prompt_echo(plain, _plain(segment.prompt)):
        hallucination.append("text only repeats the lexicon prompt")

    if segment.avg_logprob < th.min_avg_logprob:
        low.append(f"avg_logprob {segment.avg_logprob:.2f} < {th.min_avg_logprob}")
    if segment.word_logprob is not None and segment.word_logprob < th.min_word_logprob:
        low.append(f"word_logprob {segment.word_logprob:.2f} < {th.min_word_logprob}")

    reasons = non_speech + hallucination + low
    if non_speech:
        flag = NON_SPEECH
    elif hallucination:
        flag = HALLUCINATION
    elif low:
        flag = LOW_CONFIDENCE
    else:
        flag = OK
    return GateResult(flag, "; ".join(reasons))


# Whisper loops on whole sentences too ("thank you so much for watching, and" x 3 over a
# pause, 7 words): phrases up to this many words count.
_MAX_LOOP_WORDS = 12


def repetition_loop(text: str, thresholds: GateThresholds | None = None) -> str | None:
    """Why ``text`` reads as a decoding loop (a word or phrase back to back more often than
    ``thresholds`` allow), or None.  The transcription asks it, with the default
    thresholds, which chunks to decode again (see ``transcribe._retry_loops``)."""
    return _repeated_run(_words(text), thresholds or GateThresholds())


def _repeated_run(words: list[str], th: GateThresholds) -> str | None:
    """The first n-gram (n = 1.._MAX_LOOP_WORDS) repeated back to back more than allowed, described."""
    for n in range(1, _MAX_LOOP_WORDS + 1):
        limit = th.max_repeat_unigram if n == 1 else th.max_repeat_ngram
        i = 0
        while i + n <= len(words):
            gram = words[i : i + n]
            count = 1
            j = i + n
            while words[j : j + n] == gram:
                count += 1
                j += n
            phrase = " ".join(gram)
            if count > limit and (n == 1 or len(phrase) >= th.min_repeat_chars):
                return f"{phrase!r} repeated {count} times in a row"
            i += 1
    return None


def _stock_phrase(plain: str) -> str | None:
    """The stock phrase the text consists of (allowing a few extra words), if any."""
    if not plain:
        return None
    padded = f" {plain} "
    for phrase in STOCK_PHRASES:
        n_phrase = len(phrase.split())
        extra = 3 if n_phrase > 1 else 0  # a lone "you" only counts when it is all there is
        if f" {phrase} " in padded and len(plain.split()) <= n_phrase + extra:
            return phrase
    return None


def _is_prompt_echo(plain: str, prompt: str) -> bool:
    """True when every word of the text is a prompt word and there are at least two of them."""
    prompt_words = set(prompt.split())
    words = plain.split()
    return len(words) >= 2 and all(w in prompt_words for w in words)
