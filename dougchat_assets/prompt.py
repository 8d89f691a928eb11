"""THE prompt: one frozen template and one context-window builder, for training AND generation.

A model fine-tuned on one rendering of its input and asked with another learns the wrong
thing (train/inference mismatch).  So the text a viewer's reply is conditioned on is built
here and only here: ``clean_pairs`` renders every training pair with :func:`build_contexts`,
and ``dougchat generate`` / the evaluation render a moment with the same function on
arrays of length one.  Token ids come from :func:`encode_prompt` / :func:`encode_example`
on both sides; a test and an asset check assert both paths give identical text and ids.

Where the window ends
    The offset curve maps a message's send time to the audio second playing *at the
    streamer* then.  The viewer's stream lags by their stream latency, so while typing they
    had heard up to ``curve(sent) - latency``: the transcript window ends exactly there.  It
    does not also subtract the reaction time (that would cut off the very words the viewer
    reacted to, which end a reaction time before the viewer's position), and it never ends
    later (that would show words said after the reply was typed).

Token budget
    The context is capped at ``max_context_tokens`` estimated as characters / 2.5 (English BPE
    averages about 4 characters per token; chat slang, emotes, digits and line breaks far fewer): a deterministic,
    tokenizer-free estimate, so a million pairs render in seconds and the rendering does not
    depend on which base model is trained later.  Training checks the real token count and
    skips (never truncates) anything over its cap, so what the model sees is always exactly
    what this module rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.align.lag import LagPrior

PROMPT_VERSION = "chat-reply-v1"
SYSTEM_PROMPT = "You are a viewer in a live stream's chat. Reply with one chat message."
CHARS_PER_TOKEN = 2.5
TRANSCRIPT_HEADER = "Streamer, last {seconds} s:\n"
CHAT_HEADER = "\n\nChat:\n"
NO_SPEECH = "(no speech)"
NO_CHAT = "(quiet)"
CHAT_LINE_PREFIX = "- "


class WindowParams(BaseModel):
    """How much of the stream a context shows, and where it ends (see module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transcript_s: float = Field(30.0, gt=0, description="seconds of transcript before the viewer's position")
    latency_s: float = Field(
        default_factory=lambda: LagPrior().latency_mean_s, ge=0,
        description="stream latency: the viewer is this far behind curve(sent) (the alignment's lag prior)",
    )
    chat_lines: int = Field(8, ge=0, description="last K kept chat messages before the reply")
    chat_history_s: float = Field(60.0, gt=0, description="...sent at most this long before it")
    max_context_tokens: int = Field(320, ge=32, description="estimated tokens (chars / 2.5) of the rendered context")
    chat_token_share: float = Field(0.35, ge=0, le=1, description="at most this share of the budget for chat lines")
    jitter_s: float = Field(0.0, ge=0, description="training copies shift the window end by up to +-jitter_s")
    jitter_copies: int = Field(0, ge=0, description="jittered training copies per pair (0 = off)")

    def params_hash(self) -> str:
        from dougchat_assets.dataset.params import stable_hash

        return stable_hash({"prompt_version": PROMPT_VERSION, **self.model_dump(mode="json")})

    @property
    def budget_chars(self) -> int:
        return int(self.max_context_tokens * CHARS_PER_TOKEN)


def estimate_tokens(text: str) -> int:
    """The budget's token estimate (characters / 2.5, rounded up)."""
    return int(np.ceil(len(text) / CHARS_PER_TOKEN))


class _Concatenated:
    """Many short pieces in one string with cumulative offsets, so any run of consecutive
    pieces is one slice (O(1) per context instead of a join over its words)."""

    def __init__(self, pieces: Sequence[str]) -> None:
        lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
        self.offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.offsets[1:])
        self.text = "".join(pieces)

    def chars(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return self.offsets[hi] - self.offsets[lo]

    def trim_to(self, lo: np.ndarray, hi: np.ndarray, max_chars: np.ndarray) -> np.ndarray:
        """Raise ``lo`` (drop the oldest pieces) until pieces [lo, hi) fit ``max_chars``."""
        first = np.searchsorted(self.offsets, self.offsets[hi] - np.maximum(max_chars, 0), side="left")
        return np.minimum(np.maximum(lo, first), hi)


class _JoinedRuns:
    """What transcript words and chat lines share: their text concatenated once (``_joined``),
    so trimming a window and measuring it are slices, whatever the pieces are."""

    _joined: _Concatenated

    def trim_to(self, lo: np.ndarray, hi: np.ndarray, max_chars: np.ndarray) -> np.ndarray:
        """Raise ``lo`` (drop the oldest pieces) until [lo, hi) fits ``max_chars``."""
        return self._joined.trim_to(lo, hi, max_chars)

    def chars(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return self._joined.chars(lo, hi)


class TranscriptText(_JoinedRuns):
    """The words a context may show: sorted by time, one line per transcript segment.

    ``speakers`` (per word, None when unknown) tags a line ("S1: ...") when diarization
    separated voices.  Pass only words worth showing (the gated, ``ok`` ones).
    """

    def __init__(
        self,
        start_s: np.ndarray,
        end_s: np.ndarray,
        words: Sequence[str],
        segment_ids: Sequence[str],
        speakers: Sequence[str | None] | None = None,
    ) -> None:
        order = np.lexsort((np.asarray(end_s, dtype=np.float64), np.asarray(start_s, dtype=np.float64)))
        self.start_s = np.asarray(start_s, dtype=np.float64)[order]
        self.end_s = np.asarray(end_s, dtype=np.float64)[order]
        # ends are not strictly monotonic (word edges wander): search on the running maximum
        self._end_search = np.maximum.accumulate(self.end_s) if self.end_s.size else self.end_s
        self.words = [str(words[i]).strip() for i in order]
        self.segment_ids = [str(segment_ids[i]) for i in order]
        speaker_list = [speakers[i] if speakers is not None else None for i in order]
        self._tags = [f"{s}: " if s else "" for s in speaker_list]
        pieces = []
        for i, word in enumerate(self.words):
            new_line = i > 0 and self.segment_ids[i] != self.segment_ids[i - 1]
            pieces.append((f"\n{self._tags[i]}" if new_line else " ") + word)
        self._joined = _Concatenated(pieces)

    def __len__(self) -> int:
        return len(self.words)

    def bounds(self, start_s: np.ndarray, end_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[lo, hi) of the words lying wholly inside each [start_s, end_s]."""
        lo = np.searchsorted(self.start_s, start_s, side="left")
        hi = np.searchsorted(self._end_search, end_s, side="right")
        return lo, np.maximum(hi, lo)

    def render(self, lo: int, hi: int) -> str:
        if hi <= lo:
            return NO_SPEECH
        head = self._tags[lo] + self.words[lo]
        return head + self._joined.text[self._joined.offsets[lo + 1] : self._joined.offsets[hi]]

    def segments_between(self, lo: int, hi: int) -> list[str]:
        """Ids of the transcript segments whose words the context shows, in order."""
        seen: list[str] = []
        for segment in self.segment_ids[lo:hi]:
            if not seen or seen[-1] != segment:
                seen.append(segment)
        return seen


class ChatLines(_JoinedRuns):
    """The kept chat a context may quote: sorted by send time (ties in the given order)."""

    def __init__(self, sent_at_utc_ms: np.ndarray, texts: Sequence[str], msg_ids: Sequence[str]) -> None:
        sent = np.asarray(sent_at_utc_ms, dtype=np.int64)
        order = np.argsort(sent, kind="stable")
        self.sent_at_utc_ms = sent[order]
        self.texts = [" ".join(str(texts[i]).split()) for i in order]
        self.msg_ids = [str(msg_ids[i]) for i in order]
        self._position = {msg_id: i for i, msg_id in enumerate(self.msg_ids)}
        self._joined = _Concatenated([f"{CHAT_LINE_PREFIX}{t}\n" for t in self.texts])

    def __len__(self) -> int:
        return len(self.texts)

    def positions(self, sent_at_utc_ms: np.ndarray, msg_ids: Sequence[str] | None = None) -> np.ndarray:
        """Index of the first line at or after each time; a message that is itself a line
        takes its own index (so it never quotes itself or lines sent in the same ms after it)."""
        pos = np.searchsorted(self.sent_at_utc_ms, np.asarray(sent_at_utc_ms, dtype=np.int64), side="left")
        if msg_ids is not None:
            own = np.fromiter((self._position.get(m, -1) for m in msg_ids), dtype=np.int64, count=len(msg_ids))
            pos = np.where(own >= 0, own, pos)
        return pos

    def bounds(self, pos: np.ndarray, sent_at_utc_ms: np.ndarray, p: WindowParams) -> tuple[np.ndarray, np.ndarray]:
        """[lo, pos): at most ``chat_lines`` lines sent within ``chat_history_s`` before."""
        since = np.searchsorted(
            self.sent_at_utc_ms, np.asarray(sent_at_utc_ms, dtype=np.int64) - int(p.chat_history_s * 1000), side="left"
        )
        lo = np.maximum(pos - p.chat_lines, since)
        return np.minimum(lo, pos), pos

    def render(self, lo: int, hi: int) -> str:
        if hi <= lo:
            return NO_CHAT
        return self._joined.text[self._joined.offsets[lo] : self._joined.offsets[hi]].rstrip("\n")


def render_context(transcript: str, chat: str, p: WindowParams) -> str:
    """The frozen template of the user turn."""
    return TRANSCRIPT_HEADER.format(seconds=int(round(p.transcript_s))) + transcript + CHAT_HEADER + chat


@dataclass(frozen=True)
class ContextBatch:
    """Rendered contexts and where each came from (column-wise: pairs are built by the million)."""

    texts: list[str]
    audio_start_s: np.ndarray
    audio_end_s: np.ndarray
    word_lo: np.ndarray
    word_hi: np.ndarray
    chat_lo: np.ndarray
    chat_hi: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def build_contexts(
    transcript: TranscriptText,
    chat: ChatLines,
    viewer_audio_s: np.ndarray,
    sent_at_utc_ms: np.ndarray,
    p: WindowParams,
    msg_ids: Sequence[str] | None = None,
) -> ContextBatch:
    """Contexts for viewers at ``viewer_audio_s`` (= curve(sent) - latency) typing at ``sent_at_utc_ms``.

    The transcript shows the words wholly inside [viewer - transcript_s, viewer]; chat shows the
    last kept lines before the send time.  Over budget, chat is cut to its share first, then
    the oldest words go.
    """
    end = np.asarray(viewer_audio_s, dtype=np.float64)
    sent = np.asarray(sent_at_utc_ms, dtype=np.int64)
    start = end - p.transcript_s
    w_lo, w_hi = transcript.bounds(start, end)
    pos = chat.positions(sent, msg_ids)
    c_lo, c_hi = chat.bounds(pos, sent, p)
    fixed = len(render_context("", "", p))
    c_lo = chat.trim_to(c_lo, c_hi, np.full(end.shape, int(p.budget_chars * p.chat_token_share)))
    room = p.budget_chars - fixed - chat.chars(c_lo, c_hi)
    w_lo = transcript.trim_to(w_lo, w_hi, room)
    texts = [
        render_context(transcript.render(int(a), int(b)), chat.render(int(c), int(d)), p)
        for a, b, c, d in zip(w_lo, w_hi, c_lo, c_hi)
    ]
    return ContextBatch(texts, start, end, w_lo, w_hi, c_lo, c_hi)


def build_context(
    transcript: TranscriptText, chat: ChatLines, viewer_audio_s: float, sent_at_utc_ms: int, p: WindowParams,
    msg_id: str | None = None,
) -> str:
    """One context: the same code as :func:`build_contexts`, on arrays of length one."""
    batch = build_contexts(
        transcript, chat, np.array([viewer_audio_s]), np.array([sent_at_utc_ms]), p,
        [msg_id] if msg_id is not None else None,
    )
    return batch.texts[0]


def chat_messages(context: str, reply: str | None = None) -> list[dict[str, str]]:
    """The conversation in the role/content layout of chat templates (and of TRL/Axolotl data)."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": context}]
    if reply is not None:
        messages.append({"role": "assistant", "content": reply})
    return messages


def _ids(encoded: Any) -> list[int]:
    """apply_chat_template returns a list, or a BatchEncoding in transformers 5."""
    if isinstance(encoded, dict) or hasattr(encoded, "keys"):
        encoded = encoded["input_ids"]
    return [int(i) for i in encoded]


def encode_prompt(tokenizer: Any, context: str) -> list[int]:
    """Token ids the model is given at generation time (system + user turn + assistant header)."""
    return _ids(tokenizer.apply_chat_template(chat_messages(context), add_generation_prompt=True, tokenize=True))


def end_of_turn_id(tokenizer: Any) -> int:
    """The token that ends an assistant turn (ChatML's <|im_end|>; else the eos token)."""
    token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id is not None:
        return token_id
    return int(tokenizer.eos_token_id)


def encode_reply(tokenizer: Any, reply: str) -> list[int]:
    """The reply's tokens as the model must produce them: the text, then end-of-turn."""
    return [int(i) for i in tokenizer.encode(reply, add_special_tokens=False)] + [end_of_turn_id(tokenizer)]


def encode_example(tokenizer: Any, context: str, reply: str) -> tuple[list[int], list[int]]:
    """(input_ids, labels) for training: the generation prompt, byte for byte, then the reply.

    Labels are -100 on the prompt (no loss on what the model is given).
    """
    prompt = encode_prompt(tokenizer, context)
    answer = encode_reply(tokenizer, reply)
    return prompt + answer, [-100] * len(prompt) + answer
