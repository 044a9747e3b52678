"""On-the-fly corruption of a training crop, in numpy: level, room reverb, background noise, a
quieter second talker, and the telephone band. Each crop draws its own corruptions from the
Generator passed in, so a run is reproducible from its seed."""
from __future__ import annotations

import numpy as np

RATE = 16000


def speech_power(x: np.ndarray) -> float:
    return float(np.mean(x.astype(np.float64) ** 2) + 1e-10)


def add_at_snr(x: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    gain = np.sqrt(speech_power(x) / speech_power(other) / 10 ** (snr_db / 10))
    return x + gain * other


def room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Convolution with a synthetic impulse response: a direct path then exponentially decaying
    noise for an RT60 of 0.2-0.7 s (the tail that makes a far microphone sound far)."""
    rt60 = float(rng.uniform(0.2, 0.7))
    n = int(0.4 * RATE)
    t = np.arange(n) / RATE
    rir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * float(rng.uniform(0.1, 0.4))
    rir[0] = 1.0
    size = 1 << int(np.ceil(np.log2(len(x) + n)))
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(rir, size), size)[: len(x)]
    return y * np.sqrt(speech_power(x) / speech_power(y))


def telephone(x: np.ndarray) -> np.ndarray:
    """300-3400 Hz band and 8-bit mu-law, as a phone line delivers speech."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    spec[(f < 300) | (f > 3400)] = 0
    y = np.fft.irfft(spec, len(x))
    y = y / (np.abs(y).max() + 1e-9) * 0.9
    mu = 255.0
    q = np.round(np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu) * 127) / 127
    return np.sign(q) * ((1 + mu) ** np.abs(q) - 1) / mu


def corrupt(
    x: np.ndarray, rng: np.random.Generator, noises: list[np.ndarray], talker: np.ndarray | None
) -> np.ndarray:
    """x: float speech crop. talker: another class's crop of the same length (or None)."""
    y = x.astype(np.float64)
    if rng.random() < 0.25:
        y = room(y, rng)
    if talker is not None and rng.random() < 0.15:
        y = add_at_snr(y, talker.astype(np.float64), float(rng.uniform(10, 20)))
    if noises and rng.random() < 0.5:
        noise = noises[int(rng.integers(len(noises)))]
        start = int(rng.integers(0, len(noise) - len(y)))
        y = add_at_snr(y, noise[start : start + len(y)], float(rng.uniform(0, 20)))
    if rng.random() < 0.15:
        y = telephone(y)
    level = 10 ** (float(rng.uniform(-35, -12)) / 20) / np.sqrt(speech_power(y))
    return np.clip(y * level, -1, 1).astype(np.float32)
