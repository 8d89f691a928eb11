"""Long synthetic streams for the ASR benchmark, made independently of ``demo/``.

The demo VODs come from one generator (one script style, two voices, 4-6 minutes), and
the ASR stage looked fine on them while it lost accuracy on longer, differently made audio.
This module makes streams that share nothing with ``demo/`` but espeak-ng: its own
sentence grammar, a voice and speed drawn per stream (and a second voice now and then),
a late start, stretches of music with no speech, a music bed under some talk, background
noise at a random level, loud (shouted, clipped) moments and a countdown.  Every choice
comes from the seed, over wide ranges, so thresholds tuned on some seeds can be checked on
others.

Output per stream: ``<name>.flac`` (16 kHz mono, what ingest produces) and
``<name>.script.json`` (a list of {"text", "audio_start_s", "audio_end_s"}, the format of
``demo/truth/*/script.json``).  Needs espeak-ng and sox (``apt-get install espeak-ng sox``);
the runtime never does.

Usage:
    python bench/asr_streams.py OUT_DIR [--streams 3] [--minutes 30] [--seed 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22_050  # espeak-ng's native rate; the mix is resampled to 16 kHz once, by sox
OUT_RATE = 16_000

# Voices of espeak-ng's own (no mbrola): accents and variants differ enough to move WER.
VOICES = (
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
    "en-gb-x-gbclan", "en-gb-x-gbcwmd",
)
VARIANTS = ("", "+m1", "+m3", "+m5", "+f1", "+f2", "+f4")

_SUBJECTS = ("the boss", "this dungeon", "my build", "that sniper", "the final level", "our team",
             "the new patch", "this map", "the raid", "my controller", "the healer", "the speedrun")
_ADJ = ("ridiculous", "broken", "amazing", "terrible", "so slow", "way too hard", "actually fine",
        "kind of fun", "super weird", "pretty clean", "overpowered", "cursed")
_VERBS = ("try", "skip", "grind", "farm", "test", "replay", "rush", "explore", "upgrade", "ignore")
_OBJECTS = ("the side quest", "that cave", "the north tower", "the shop", "the armor set",
            "the second route", "the fishing game", "the secret door", "the arena", "the bridge")
_FOOD = ("pizza", "noodles", "tacos", "a sandwich", "coffee", "tea", "cereal", "soup")
_NAMES = ("Marcus", "Priya", "Olivia", "Kenji", "Sam", "Lucia", "Ben", "Tara", "Omar", "Nina")
_TEMPLATES = (
    "okay so {subj} is {adj}",
    "I think we should {verb} {obj} first",
    "chat, do you want me to {verb} {obj} or not",
    "honestly {subj} was {adj} last time",
    "hold on, let me check the map real quick",
    "we need {num} more coins before we can buy it",
    "that took us {num} minutes, which is not great",
    "thanks {name} for the follow, welcome in",
    "{name} says we should {verb} {obj}",
    "I am getting {food} after this round",
    "wait, did you see that, that was {adj}",
    "no no no, go left, go left",
    "alright, one more try and then we {verb} {obj}",
    "my plan is to {verb} {obj} and then head back",
    "the score is {num} to {num2} right now",
    "if {subj} stays {adj} I am going to quit",
    "level {num} is where it gets interesting",
    "{name}, good question, I have no idea",
    "let us take a short break and grab some {food}",
    "I have played this game for {num} hours",
    "that was the worst jump I have ever made",
    "we are so close, just a little bit more",
    "remember when {subj} was {adj}, good times",
    "can somebody explain why {subj} is {adj}",
)


@dataclass(frozen=True)
class Voice:
    name: str
    speed_wpm: int
    pitch: int


def require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing tools: {', '.join(missing)} (apt-get install espeak-ng sox)")


def sentence(rng: np.random.Generator) -> str:
    template = _TEMPLATES[rng.integers(len(_TEMPLATES))]
    pick = lambda items: items[rng.integers(len(items))]  # noqa: E731
    return template.format(
        subj=pick(_SUBJECTS), adj=pick(_ADJ), verb=pick(_VERBS), obj=pick(_OBJECTS), food=pick(_FOOD),
        name=pick(_NAMES), num=int(rng.integers(2, 400)), num2=int(rng.integers(0, 60)),
    )


def speak(text: str, voice: Voice, tmp: Path) -> np.ndarray:
    """espeak-ng at 22.05 kHz, float32, edge silence trimmed (so script times are exact)."""
    wav = tmp / "utt.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice.name, "-s", str(voice.speed_wpm), "-p", str(voice.pitch), "-w", str(wav), text],
        check=True, capture_output=True,
    )
    data = wav.read_bytes()
    pos = data.find(b"data") + 8  # espeak-ng writes a plain 44-byte-style PCM16 header
    samples = np.frombuffer(data[pos : pos + (len(data) - pos) // 2 * 2], dtype="<i2").astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(samples) > np.max(np.abs(samples)) * 10 ** (-50 / 20))
    return samples[max(0, loud[0] - 110) : loud[-1] + 110].copy()


def music(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chords with a beat: tonal, steady, the kind of sound webrtcvad mistakes for speech."""
    t = np.arange(n) / RATE
    beat = 60 / rng.uniform(80, 140)
    out = np.zeros(n, dtype=np.float64)
    root = rng.uniform(110, 220)
    for k, ratio in enumerate((1.0, 1.25, 1.5, 2.0)):
        change = int(rng.integers(2, 8)) * beat
        detune = 1 + 0.06 * (np.floor(t / change) % 3) * (k % 2)
        out += np.sin(2 * np.pi * root * ratio * detune * t) / (k + 1)
    pulse = np.exp(-((t % beat) / (0.15 * beat)))
    out = out * (0.5 + 0.5 * pulse)
    return (out / np.max(np.abs(out))).astype(np.float32)


def noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pinkish noise (white noise through a one-pole low-pass), unit peak-ish."""
    white = rng.standard_normal(n).astype(np.float32)
    a = rng.uniform(0.6, 0.97)
    spec = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n)
    spec /= np.abs(1 - a * np.exp(-2j * np.pi * freqs))
    pink = np.fft.irfft(spec, n).astype(np.float32)
    return pink / (np.std(pink) * 4)


def make_stream(out_dir: Path, name: str, seed: int, minutes: float) -> tuple[Path, Path]:
    """Write ``name.flac`` and ``name.script.json`` under ``out_dir``; return their paths."""
    require_tools()
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    mix = np.zeros(total, dtype=np.float32)
    main = Voice(VOICES[rng.integers(len(VOICES))] + VARIANTS[rng.integers(len(VARIANTS))],
                 int(rng.integers(135, 215)), int(rng.integers(25, 75)))
    guest = Voice(VOICES[rng.integers(len(VOICES))] + VARIANTS[rng.integers(len(VARIANTS))],
                  int(rng.integers(135, 215)), int(rng.integers(25, 75)))
    speech_gain = rng.uniform(0.25, 0.6)
    noise_db = rng.uniform(-45, -24)  # background noise relative to full scale (a streamer mic: 10-35 dB SNR)
    script: list[dict] = []
    countdown_at = rng.uniform(0.2, 0.8) * total
    did_countdown = False
    position = int(rng.uniform(5, 60) * RATE)  # late start: music only at first
    mix[:position] += 0.3 * music(rng, position)
    bed_until = 0
    with tempfile.TemporaryDirectory(prefix="asr_streams_") as tmp_name:
        tmp = Path(tmp_name)
        while position < total - 5 * RATE:
            roll = rng.random()
            if roll < 0.03:  # a music stretch with no speech
                length = int(rng.uniform(20, 90) * RATE)
                length = min(length, total - position)
                mix[position : position + length] += rng.uniform(0.2, 0.5) * music(rng, length)
                position += length + int(rng.uniform(0.5, 2) * RATE)
                continue
            if roll < 0.06 and position > bed_until:  # a music bed under the next stretch of talk
                bed_len = min(int(rng.uniform(30, 120) * RATE), total - position)
                mix[position : position + bed_len] += rng.uniform(0.03, 0.12) * music(rng, bed_len)
                bed_until = position + bed_len
            if not did_countdown and position >= countdown_at:
                did_countdown = True
                words = ["ten", "nine", "eight", "seven", "six", "five", "four", "three", "two", "one", "go"]
                voice = Voice(main.name, 150, main.pitch)
                for word in words:
                    samples = speak(word, voice, tmp) * speech_gain * 1.4
                    end = min(total, position + samples.size)
                    mix[position:end] += samples[: end - position]
                    script.append({"text": word, "audio_start_s": position / RATE, "audio_end_s": end / RATE})
                    position += int(1.0 * RATE)
                continue
            voice = guest if rng.random() < 0.15 else main
            text = sentence(rng)
            if rng.random() < 0.35:
                text += ", " + sentence(rng)
            samples = speak(text, voice, tmp) * speech_gain
            if rng.random() < 0.05:  # a loud moment: shouted and clipped
                samples = np.clip(samples * rng.uniform(3, 6), -0.98, 0.98)
            if position + samples.size > total:
                break
            mix[position : position + samples.size] += samples
            script.append({"text": text, "audio_start_s": position / RATE, "audio_end_s": (position + samples.size) / RATE})
            position += samples.size + int(rng.choice([rng.uniform(0.15, 0.6), rng.uniform(0.6, 3.0)]) * RATE)
        block = 60 * RATE  # in blocks: one FFT over hours of samples would need gigabytes
        for lo in range(0, total, block):
            hi = min(total, lo + block)
            mix[lo:hi] += noise(rng, hi - lo) * 10 ** (noise_db / 20)
        mix = np.clip(mix, -1, 1)
        out_dir.mkdir(parents=True, exist_ok=True)
        flac = out_dir / f"{name}.flac"
        raw = tmp / "mix.raw"
        raw.write_bytes(mix.astype("<f4").tobytes())
        subprocess.run(
            ["sox", "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(RATE), str(raw),
             "-b", "16", "-r", str(OUT_RATE), str(flac)],
            check=True, capture_output=True,
        )
    for item in script:
        item["audio_start_s"] = round(item["audio_start_s"], 4)
        item["audio_end_s"] = round(item["audio_end_s"], 4)
    meta = {"seed": seed, "minutes": minutes, "voice": main.__dict__, "guest": guest.__dict__,
            "noise_db": round(noise_db, 1), "speech_gain": round(speech_gain, 3)}
    script_path = out_dir / f"{name}.script.json"
    script_path.write_text(json.dumps(script, indent=0) + "\n")
    (out_dir / f"{name}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return flac, script_path


def make_streams(out_dir: Path, streams: int, minutes: float, seed: int) -> list[tuple[Path, Path]]:
    """``streams`` streams (seeds ``seed``, ``seed+1``, ...), reusing files already made."""
    out = []
    for k in range(streams):
        name = f"stream_s{seed + k}_{minutes:g}m"
        flac, script = out_dir / f"{name}.flac", out_dir / f"{name}.script.json"
        if not (flac.is_file() and script.is_file()):
            flac, script = make_stream(out_dir, name, seed + k, minutes)
        out.append((flac, script))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--streams", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args(argv)
    for flac, script in make_streams(args.out_dir, args.streams, args.minutes, args.seed):
        words = sum(len(u["text"].split()) for u in json.loads(script.read_text()))
        print(f"{flac}  ({words} script words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
