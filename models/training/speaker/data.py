"""The speaker encoder's audio, built once and cached as int16 arrays; crops are drawn from it.

    /usr/bin/python3 models/training/speaker/data.py [--smoke]     # writes runs/speaker/data/*.npz

Classes (one label each), so that the encoder learns many more voices than the 251 real ones:
- every LibriSpeech train-clean-100 training speaker at speed 1.0, and at 0.9 and 1.1 as two
  more classes (sox `speed` moves pitch and formants together, so a perturbed speaker is a
  new voice; WeSpeaker's recipe does the same);
- every FSDD training speaker, digits joined with short pauses, at the same three speeds;
- every synthetic training voice reading dialogue sentences, once at its own pitch and once
  shifted by 250-450 cents up or down with a random tempo (two classes per voice).
Dev (training curve only): the 20 dev LibriSpeech speakers, each clip cut in four.
Test: LibriSpeech test-other (each clip whole) and the held-out FSDD speakers (one digit per
utterance, and runs of three digits).

Every random choice comes from one seeded numpy Generator, so the cache is reproducible.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.synth import RATE, Prosody, read_wav, speak  # noqa: E402
from asr.text import corpus_sentences  # noqa: E402
from asr.voices import training_voices  # noqa: E402
from lib.common import RUNS_ROOT, data_root  # noqa: E402
from speaker.voices import FLITE_FESTIVAL, fsdd_split, libri_split  # noqa: E402

DATA = RUNS_ROOT / "speaker" / "data"
SPEEDS = (1.0, 0.9, 1.1)


def sox_load(path: Path, effects: list[str] = ()) -> np.ndarray:
    """Any file sox reads (FLAC, 8 kHz WAV) as 16 kHz mono float32, with sox effects applied."""
    with tempfile.TemporaryDirectory(prefix="banter-spk-") as tmp:
        out = Path(tmp) / "out.wav"
        r = subprocess.run(
            ["sox", str(path), "-b", "16", "-c", "1", str(out), *effects, "rate", str(RATE)], capture_output=True
        )
        if r.returncode != 0:
            raise RuntimeError(f"sox {path}: {r.stderr.decode(errors='replace')[:200]}")
        x, rate = read_wav(out)
    assert rate == RATE
    return x


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return x
    with tempfile.TemporaryDirectory(prefix="banter-spk-") as tmp:
        src = Path(tmp) / "in.wav"
        write_wav(src, x)
        return sox_load(src, ["speed", str(factor)])


def write_wav(path: Path, x: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def trim_silence(x: np.ndarray, frame: int = 320, floor_db: float = -45.0) -> np.ndarray:
    """Drops 20 ms frames quieter than `floor_db` below the loudest one: crops land on speech."""
    n = len(x) // frame
    if n == 0:
        return x
    energy = 10 * np.log10((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-12)
    keep = energy > energy.max() + floor_db
    return x[: n * frame].reshape(n, frame)[keep].reshape(-1)


def to_int16(x: np.ndarray) -> np.ndarray:
    peak = float(np.abs(x).max()) or 1.0
    return (x / max(peak, 1e-3) * 0.9 * 32767).astype(np.int16)


def fsdd_speakers(root: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for f in sorted((root / "speech" / "fsdd").glob("*.wav")):
        out.setdefault(f.stem.split("_")[1], []).append(f)
    return out


def joined_digits(files: list[Path], rng: np.random.Generator) -> np.ndarray:
    parts = []
    for f in files:
        parts += [trim_silence(sox_load(f)), np.zeros(int(rng.integers(800, 2400)), np.float32)]
    return np.concatenate(parts)


def build_train(root: Path, rng: np.random.Generator, smoke: bool) -> tuple[list[np.ndarray], list[str]]:
    audio: list[np.ndarray] = []
    names: list[str] = []
    libri = sorted((root / "speech" / "librispeech-speakers" / "train-clean-100").glob("*.flac"))
    by_id = {f.stem.split("-")[0]: f for f in libri}
    train_ids, _ = libri_split(list(by_id))
    if smoke:
        train_ids = train_ids[:6]
    for sid in train_ids:
        x = trim_silence(sox_load(by_id[sid]))
        for s in SPEEDS:
            audio.append(to_int16(speed(x, s)))
            names.append(f"libri:{sid}@{s}")
    fsdd = fsdd_speakers(root)
    fsdd_train, _ = fsdd_split(list(fsdd))
    for spk in fsdd_train[: 1 if smoke else None]:
        x = joined_digits(fsdd[spk][: 20 if smoke else None], rng)
        for s in SPEEDS:
            audio.append(to_int16(speed(x, s)))
            names.append(f"fsdd:{spk}@{s}")
    sentences = corpus_sentences(root)["train"]
    voices = [v for v in training_voices() if v.startswith("espeak-ng:")] + list(FLITE_FESTIVAL)
    if smoke:
        voices = voices[:3]
    per_class = 4 if smoke else 12
    for i, voice in enumerate(voices):
        count = per_class * (2 if voice in FLITE_FESTIVAL else 1)
        for shifted in (False, True):
            text = " ".join(sentences[int(j)] + "." for j in rng.integers(0, len(sentences), count))
            if shifted:
                cents = int(rng.integers(250, 451)) * (1 if rng.random() < 0.5 else -1)
                prosody = Prosody(tempo=float(rng.uniform(0.85, 1.15)), pitch_cents=cents)
            else:
                prosody = Prosody()
            x = trim_silence(speak(text, voice, prosody))
            audio.append(to_int16(x))
            names.append(f"{voice}{'/shift' if shifted else ''}")
        if i % 20 == 0:
            print(f"  synthetic {i + 1}/{len(voices)} ({time.strftime('%H:%M:%S')})", flush=True)
    return audio, names


def build_test(root: Path, rng: np.random.Generator, smoke: bool) -> dict[str, tuple[list[np.ndarray], list[str]]]:
    sets: dict[str, tuple[list[np.ndarray], list[str]]] = {}
    libri = sorted((root / "speech" / "librispeech-speakers" / "train-clean-100").glob("*.flac"))
    by_id = {f.stem.split("-")[0]: f for f in libri}
    _, dev_ids = libri_split(list(by_id))
    dev_a, dev_n = [], []
    for sid in dev_ids[: 4 if smoke else None]:
        x = trim_silence(sox_load(by_id[sid]))
        for piece in np.array_split(x, 4):
            dev_a.append(to_int16(piece))
            dev_n.append(sid)
    sets["dev"] = (dev_a, dev_n)
    test_a, test_n = [], []
    for f in sorted((root / "speech" / "librispeech-speakers" / "test-other").rglob("*.flac")):
        if smoke and len(test_a) >= 12:
            break
        test_a.append(to_int16(trim_silence(sox_load(f))))
        test_n.append(f.stem.split("-")[0])
    sets["test_other"] = (test_a, test_n)
    fsdd = fsdd_speakers(root)
    _, held = fsdd_split(list(fsdd))
    one_a, one_n, three_a, three_n = [], [], [], []
    for spk in held:
        files = fsdd[spk][:: 5 if smoke else 1]
        order = rng.permutation(len(files))
        for j in order[:100]:
            one_a.append(to_int16(trim_silence(sox_load(files[j]))))
            one_n.append(spk)
        for k in range(0, min(150, len(order) - 2), 3):
            three_a.append(to_int16(joined_digits([files[j] for j in order[k : k + 3]], rng)))
            three_n.append(spk)
    sets["fsdd_digit"] = (one_a, one_n)
    sets["fsdd_3digits"] = (three_a, three_n)
    return sets


def save(path: Path, audio: list[np.ndarray], names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(a) for a in audio], np.int64)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, audio=np.concatenate(audio), lengths=lengths, names=np.array(names))
    tmp.rename(path)


def load(path: Path) -> tuple[list[np.ndarray], list[str]]:
    z = np.load(path)
    flat, lengths = z["audio"], z["lengths"]  # each z[...] reads the file again: once each
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    audio = [flat[offsets[i] : offsets[i + 1]] for i in range(len(lengths))]
    return audio, [str(n) for n in z["names"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true", help="a few classes, for the pipeline")
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args()
    root = data_root()
    out = args.out / "smoke" if args.smoke else args.out
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for name, (audio, names) in build_test(root, rng, args.smoke).items():
        save(out / f"{name}.npz", audio, names)
        print(f"{name}: {len(audio)} utterances, {len(set(names))} speakers", flush=True)
    audio, names = build_train(root, rng, args.smoke)
    save(out / "train.npz", audio, names)
    hours = sum(len(a) for a in audio) / RATE / 3600
    print(f"train: {len(audio)} classes, {hours:.2f} h, built in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
