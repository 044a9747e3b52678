"""Builds the recognizer's evaluation sets: 16 kHz WAV files with their transcripts.

    /usr/bin/python3 models/training/asr/build_eval.py [--per-set 200] [--seed 7]

Writes runs/asr/eval/<set>/NNNN.wav and runs/asr/eval/<set>/manifest.jsonl ({file, text, voice,
...} per line); the evaluation command (`npm run eval:asr`, eval/asr/) reads them. Every
sentence is from the dialogue corpora's test split (asr/text.py; split by dialogue, never seen
in training), and no voice here was trained on:

| set            | audio                                                                      |
| -------------- | -------------------------------------------------------------------------- |
| heldout-clean  | held-out test voices (espeak-ng en-029 variants, flite slt), clean          |
| heldout-10db   | the same utterances with speech-commands noise mixed in at 10 dB SNR       |
| callers        | the evaluation harness's caller voices (flite rms, festival ked, scotland) |
| telephone      | held-out voices through a 300-3400 Hz band, 8 kHz mu-law and back          |
| fsdd-theo      | every recording of the FSDD speaker held out of training (real speech)     |
| dev            | validation sentences by training voices: for tuning the decoder, not a result |

The noise recordings are the same six files training mixed in (other stretches of them): the
10 dB set measures robustness to noise of a known kind, not to unseen noise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.build_data import DIGITS, FSDD_HELD_OUT_SPEAKERS, NOISES  # noqa: E402
from asr.synth import RATE, Prosody, SynthError, load_noises, mix_at_snr, read_wav, set_level, speak  # noqa: E402
from asr.text import corpus_sentences  # noqa: E402
from asr.voices import HELD_OUT_TEST_VOICES, require_training_voice, training_voice_problem, training_voices  # noqa: E402
from lib.common import RUNS_ROOT, data_root  # noqa: E402

# The evaluation harness's callers (eval/caller/voices.ts CALLER_TTS_VOICES).
CALLER_VOICES = (
    "flite:rms",
    "festival:ked_diphone",
    "espeak-ng:en-gb-scotland",
    "espeak-ng:en-gb-scotland+m3",
    "espeak-ng:en-gb-scotland+f2",
    "espeak-ng:en-gb-scotland+f4",
    "espeak-ng:en-gb-scotland+m7",
)
PAD_S = 0.3


def evaluation_voice(voice: str) -> str:
    """The check `speak` runs here: only voices that training refuses (so none was trained on)."""
    if training_voice_problem(voice) is None:
        raise ValueError(f"{voice} is a training voice: it cannot measure held-out accuracy")
    return voice


def write_wav(path: Path, x: np.ndarray) -> None:
    import wave

    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def padded(x: np.ndarray) -> np.ndarray:
    pad = np.zeros(int(PAD_S * RATE), np.float32)
    return np.concatenate([pad, x, pad])


def write_set(out: Path, name: str, items: list[tuple[np.ndarray, dict]]) -> None:
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "manifest.jsonl.tmp", "w", encoding="utf-8") as f:
        for i, (audio, meta) in enumerate(items):
            file = f"{i:04d}.wav"
            write_wav(d / file, audio)
            f.write(json.dumps({"file": file, **meta}) + "\n")
    (d / "manifest.jsonl.tmp").replace(d / "manifest.jsonl")
    print(f"{name}: {len(items)} utterances", flush=True)


def synthesize(sentences: list[str], voices: tuple[str, ...], prosody: Prosody, rng: np.random.Generator, check=evaluation_voice):
    items = []
    for i, text in enumerate(sentences):
        voice = voices[i % len(voices)]
        try:
            audio = speak(text, voice, prosody, check=check)
        except SynthError as err:
            print(f"skipped {voice}: {err}", flush=True)
            continue
        level = float(rng.uniform(-30, -18))
        items.append((padded(set_level(audio, level)), {"text": text, "voice": voice, "level_dbfs": round(level, 1)}))
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-set", type=int, default=200, help="sentences per synthetic set")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RUNS_ROOT / "asr" / "eval")
    ap.add_argument("--only", choices=("dev",), help="build just this set")
    args = ap.parse_args()
    root = data_root()
    if args.only == "dev":
        # Decoder tuning data: validation sentences (never trained on) by training voices, so
        # tuning never looks at a held-out voice or a test sentence.
        rng = np.random.default_rng(args.seed + 1)
        valid = corpus_sentences(root)["valid"]
        pick = [valid[i] for i in rng.choice(len(valid), size=args.per_set, replace=False)]
        voices = tuple(training_voices()[i] for i in rng.choice(len(training_voices()), size=40, replace=False))
        write_set(args.out, "dev", synthesize(pick, voices, Prosody(), rng, check=require_training_voice))
        return
    rng = np.random.default_rng(args.seed)
    test = corpus_sentences(root)["test"]
    pick = [test[i] for i in rng.choice(len(test), size=3 * args.per_set, replace=False)]
    held, callers, tel = pick[: args.per_set], pick[args.per_set : 2 * args.per_set], pick[2 * args.per_set :]

    clean = synthesize(held, HELD_OUT_TEST_VOICES, Prosody(), rng)
    write_set(args.out, "heldout-clean", clean)
    noises = load_noises(root / "noise" / "speech-commands", NOISES)
    noisy = []
    for i, (audio, meta) in enumerate(clean):
        name = NOISES[i % len(NOISES)]
        noisy.append((np.clip(mix_at_snr(audio, noises[name], 10.0, rng), -1, 1), {**meta, "noise": name, "snr_db": 10}))
    write_set(args.out, "heldout-10db", noisy)
    write_set(args.out, "callers", synthesize(callers, CALLER_VOICES, Prosody(), rng))
    write_set(args.out, "telephone", synthesize(tel, HELD_OUT_TEST_VOICES, Prosody(telephone=True), rng))

    fsdd = []
    for f in sorted((root / "speech" / "fsdd").glob("*.wav")):
        digit, speaker, _ = f.stem.split("_")
        if speaker not in FSDD_HELD_OUT_SPEAKERS:
            continue
        x, rate = read_wav(f)
        # The same linear resampling training used for FSDD (8 kHz recordings).
        x = np.interp(np.arange(0, len(x), rate / RATE), np.arange(len(x)), x).astype(np.float32)
        fsdd.append((padded(x), {"text": DIGITS[int(digit)], "voice": f"fsdd:{speaker}", "source": f.name}))
    write_set(args.out, "fsdd-theo", fsdd)


if __name__ == "__main__":
    main()
