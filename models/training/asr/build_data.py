"""Builds the recognizer's training data as shards of fbank features and character labels.

    /usr/bin/python3 models/training/asr/build_data.py --shards 60 [--per-shard 500] [--seed 1]
    /usr/bin/python3 models/training/asr/build_data.py --split valid --shards 2
    /usr/bin/python3 models/training/asr/build_data.py --smoke      # 2 small shards, for the pipeline

Each shard is an independent, seeded draw (shard i uses seed + i), written atomically to
runs/asr/data/train/shard-NNNNN.npz, so an interrupted build resumes where it stopped and
the trainer can start on the first shards while later ones are still being made.

An utterance: a train-split sentence (asr/text.py) spoken by a training voice (asr/voices.py:
the evaluation callers, banter's own voice and the held-out test voices are refused), with
tempo, pitch, level, reverb, telephone band and real background noise drawn at random; or a
run of 1-4 spoken digits by a real FSDD speaker (speaker "theo" is held out for testing).
Features are torchaudio's kaldi.fbank (80 bins), which server/audio/features/fbank.ts
reproduces within 1e-3, so the model sees in training what the server computes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from asr.synth import RATE, Prosody, SynthError, load_noises, mix_at_snr, read_wav, set_level, speak  # noqa: E402
from asr.text import corpus_sentences, encode  # noqa: E402
from asr.voices import training_voices  # noqa: E402
from lib.common import RUNS_ROOT, data_root  # noqa: E402
from lib.features import kaldi_fbank  # noqa: E402

FSDD_HELD_OUT_SPEAKERS = ("theo",)
DIGITS = "zero one two three four five six seven eight nine".split()
NOISES = ("dishes", "miaowing", "bike", "tap", "pink", "white")


def fbank(samples: np.ndarray) -> np.ndarray:
    """80-bin Kaldi fbank of 16 kHz float audio, int16-scaled as the server's frontend does."""
    return kaldi_fbank(samples, RATE).numpy()


class Sources:
    """Everything an utterance is drawn from, loaded once."""

    def __init__(self, root: Path, smoke: bool, split: str = "train"):
        sentences = corpus_sentences(root)[split]
        self.sentences = sentences[:2000] if smoke else sentences
        voices = training_voices()
        self.espeak = [v for v in voices if v.startswith("espeak-ng:")]
        self.others = [v for v in voices if not v.startswith("espeak-ng:")]
        self.noises = load_noises(root / "noise" / "speech-commands", NOISES)
        fsdd = root / "speech" / "fsdd"
        self.fsdd = sorted(
            f for f in fsdd.glob("*.wav") if f.stem.split("_")[1] not in FSDD_HELD_OUT_SPEAKERS
        )


def draw_prosody(rng: np.random.Generator, synthetic_pitch: bool) -> Prosody:
    return Prosody(
        tempo=float(rng.uniform(0.85, 1.2)),
        pitch_cents=int(rng.integers(-300, 301)) if synthetic_pitch and rng.random() < 0.7 else 0,
        reverb=bool(rng.random() < 0.15),
        telephone=bool(rng.random() < 0.15),
    )


def fsdd_utterance(src: Sources, rng: np.random.Generator) -> tuple[np.ndarray, str, dict]:
    """1-4 digits of one real FSDD speaker, joined by short pauses."""
    speaker = src.fsdd[int(rng.integers(len(src.fsdd)))].stem.split("_")[1]
    own = [f for f in src.fsdd if f.stem.split("_")[1] == speaker]
    parts, words = [], []
    for _ in range(int(rng.integers(1, 5))):
        f = own[int(rng.integers(len(own)))]
        x, rate = read_wav(f)
        x = np.interp(np.arange(0, len(x), rate / RATE), np.arange(len(x)), x).astype(np.float32)
        parts += [x, np.zeros(int(rng.integers(800, 4800)), np.float32)]
        words.append(DIGITS[int(f.stem.split("_")[0])])
    return np.concatenate(parts), " ".join(words), {"voice": f"fsdd:{speaker}"}


def utterance(src: Sources, rng: np.random.Generator) -> tuple[np.ndarray, str, dict]:
    if rng.random() < 0.04:
        audio, text, meta = fsdd_utterance(src, rng)
    else:
        text = src.sentences[int(rng.integers(len(src.sentences)))]
        pool = src.espeak if rng.random() < 0.6 else src.others
        voice = pool[int(rng.integers(len(pool)))]
        prosody = draw_prosody(rng, synthetic_pitch=not voice.startswith("espeak-ng:"))
        audio = speak(text, voice, prosody)
        meta = {"voice": voice, **prosody.__dict__}
    lead, tail = (np.zeros(int(rng.integers(0, 4800)), np.float32) for _ in range(2))
    audio = np.concatenate([lead, audio, tail])
    audio = set_level(audio, float(rng.uniform(-35, -15)))
    if rng.random() < 0.6:
        name = list(src.noises)[int(rng.integers(len(src.noises)))]
        snr = float(rng.uniform(0, 20))
        audio = np.clip(mix_at_snr(audio, src.noises[name], snr, rng), -1, 1)
        meta.update(noise=name, snr_db=round(snr, 1))
    return audio, text, meta


def build_shard(src: Sources, path: Path, seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    feats, labels, metas = [], [], []
    while len(feats) < count:
        try:
            audio, text, meta = utterance(src, rng)
        except SynthError as err:
            # A rare engine failure on one draw (logged); the next draw replaces it, still seeded.
            print(f"{path.name}: skipped one utterance: {err}", flush=True)
            continue
        f = fbank(audio)
        feats.append(f.astype(np.float16))
        labels.append(np.array(encode(text), np.int16))
        metas.append({**meta, "text": text, "frames": len(f)})
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        feats=np.concatenate(feats),
        frame_counts=np.array([len(f) for f in feats], np.int32),
        labels=np.concatenate(labels),
        label_counts=np.array([len(x) for x in labels], np.int32),
        meta=np.array(json.dumps(metas)),
    )
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shards", type=int, default=60)
    ap.add_argument("--per-shard", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", choices=("train", "valid"), default="train", help="which sentences to speak")
    ap.add_argument("--out", type=Path, help="default runs/asr/data/<split>")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    root = RUNS_ROOT / ("asr-smoke" if args.smoke else "asr") / "data"
    args.out = args.out or root / args.split
    if args.smoke:
        args.shards, args.per_shard = 2, 20
    args.out.mkdir(parents=True, exist_ok=True)
    src = Sources(data_root(), args.smoke, args.split)
    # Validation shards draw from their own seed range, never a training shard's.
    seed_base = args.seed * 100_003 + (50_000 if args.split == "valid" else 0)
    for i in range(args.shards):
        path = args.out / f"shard-{i:05d}.npz"
        if path.exists():
            continue
        t0 = time.time()
        build_shard(src, path, seed_base + i, args.per_shard)
        print(f"{path.name}: {args.per_shard} utterances in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
