"""Training speech: a sentence spoken by one of the plan's voices, then made less clean.

Engines: Debian's espeak-ng, flite and festival (text2wave); sox resamples and applies tempo,
pitch, reverb and the telephone band (300-3400 Hz, 8 kHz mu-law and back). Noise comes from
../shared/data/noise/speech-commands, mixed at a chosen SNR against the speech's own power.
Every random choice is drawn from the numpy Generator passed in, so a shard is reproducible.
"""
from __future__ import annotations

import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from typing import Callable

from asr.voices import require_training_voice

RATE = 16000


class SynthError(RuntimeError):
    pass


def _run(cmd: list[str], stdin: bytes | None = None) -> None:
    r = subprocess.run(cmd, input=stdin, capture_output=True)
    if r.returncode != 0:
        detail = r.stderr.decode(errors="replace")[:300]
        raise SynthError(f"{' '.join(cmd[:1] + cmd[-12:])} failed ({r.returncode}): {detail}")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            raise SynthError(f"{path}: expected 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        if w.getnchannels() > 1:
            data = data.reshape(-1, w.getnchannels()).mean(axis=1)
        return data, w.getframerate()


@dataclass(frozen=True)
class Prosody:
    """Tempo factor (1 = the engine's own), pitch shift in cents, and whether to add room reverb."""

    tempo: float = 1.0
    pitch_cents: int = 0
    reverb: bool = False
    telephone: bool = False


def speak(
    text: str,
    voice: str,
    prosody: Prosody = Prosody(),
    check: Callable[[str], str] = require_training_voice,
) -> np.ndarray:
    """`text` in `voice` ("engine:name[+variant]"), 16 kHz float32, with the prosody and channel applied.

    `check` refuses voices the purpose may not use: training voices by default; the evaluation
    command passes its own check for the held-out and caller voices.
    """
    check(voice)
    engine, _, name = voice.partition(":")
    with tempfile.TemporaryDirectory(prefix="banter-asr-") as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        if engine == "espeak-ng":
            _run(["espeak-ng", "-v", name, "-w", str(raw), text])
        elif engine == "flite":
            _run(["flite", "-voice", name, "-t", text, "-o", str(raw)])
        elif engine == "festival":
            _run(["text2wave", "-eval", f"(voice_{name})", "-o", str(raw)], stdin=text.encode())
        else:
            raise SynthError(f"no synthesizer for {voice}")
        # Up to the pipeline rate first: flite's 8 kHz voices would otherwise leave `pitch` (which
        # works by resampling) below the telephone filter's band edge.
        effects: list[str] = ["rate", str(RATE)]
        if abs(prosody.tempo - 1.0) > 1e-3:
            effects += ["tempo", "-s", f"{prosody.tempo:.3f}"]
        if prosody.pitch_cents:
            effects += ["pitch", str(prosody.pitch_cents)]
        if prosody.reverb:
            effects += ["reverb", "30", "50", "40"]
        # Explicit rate effects, no output -r: with -r, sox may resample before `sinc`, below its band edge.
        effects += ["sinc", "300-3400", "rate", "8000"] if prosody.telephone else ["rate", str(RATE)]
        _run(["sox", str(raw), "-b", "16", "-c", "1", str(out), *effects])
        if prosody.telephone:
            # The carrier's codec: 8 kHz mu-law, then back up to the pipeline rate as banter's decoder does.
            ulaw = Path(tmp) / "tel.wav"
            _run(["sox", str(out), "-e", "mu-law", str(ulaw)])
            _run(["sox", str(ulaw), "-e", "signed-integer", "-b", "16", "-r", str(RATE), str(out)])
        samples, rate = read_wav(out)
    if rate != RATE:
        raise SynthError(f"sox produced {rate} Hz")
    return samples


def speech_power(x: np.ndarray) -> float:
    """Mean power over the louder half of 20 ms frames: the speech, not the silence around it."""
    n = len(x) // 320
    if n == 0:
        return float(np.mean(x**2) + 1e-12)
    frames = (x[: n * 320].reshape(n, 320) ** 2).mean(axis=1)
    return float(np.mean(np.sort(frames)[n // 2 :]) + 1e-12)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Speech plus a random stretch of `noise` (looped if short) scaled to `snr_db` below the speech."""
    reps = int(np.ceil((len(speech) + 1) / len(noise))) + 1
    looped = np.tile(noise, reps)
    start = int(rng.integers(0, len(looped) - len(speech)))
    piece = looped[start : start + len(speech)]
    gain = np.sqrt(speech_power(speech) / (np.mean(piece**2) + 1e-12) / 10 ** (snr_db / 10))
    return (speech + gain * piece).astype(np.float32)


def set_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale so the speech power sits at `dbfs`, clipped to [-1, 1]."""
    gain = 10 ** (dbfs / 20) / np.sqrt(speech_power(x))
    return np.clip(x * gain, -1.0, 1.0).astype(np.float32)


def load_noises(noise_dir: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The speech-commands background recordings whose file names contain one of `names`."""
    out: dict[str, np.ndarray] = {}
    for f in sorted(noise_dir.glob("*.wav")):
        for n in names:
            if n in f.name:
                samples, rate = read_wav(f)
                if rate != RATE:
                    raise SynthError(f"{f}: {rate} Hz, expected {RATE}")
                out[n] = samples
    return out
