"""Spectral training losses and the reconstruction measures of the codec's card.

Training: log-mel L1 at three resolutions and multi-resolution STFT (spectral convergence and
log-magnitude L1), after Parallel WaveGAN and DAC; no adversarial term. Measures: log-mel
distance (mean absolute difference of natural-log 80-band mel energies, 1024/256 frames, the
form DAC and EnCodec report) and scale-invariant SDR (Le Roux et al., 2019).
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from codec.model import RATE, mel_filterbank

STFT_RESOLUTIONS = ((256, 64), (512, 128), (1024, 256))
MEL_RESOLUTIONS = ((512, 128, 40), (1024, 256, 80), (2048, 512, 80))


@functools.lru_cache(maxsize=None)
def _window(n: int) -> torch.Tensor:
    return torch.hann_window(n)


@functools.lru_cache(maxsize=None)
def _mel(n_fft: int, bands: int) -> torch.Tensor:
    return mel_filterbank(n_fft, bands, RATE)


def magnitude(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    spec = torch.stft(x, n_fft, hop, window=_window(n_fft), return_complex=True)
    return torch.sqrt(spec.real**2 + spec.imag**2 + 1e-9)


def log_mel(x: torch.Tensor, n_fft: int = 1024, hop: int = 256, bands: int = 80) -> torch.Tensor:
    return torch.log(torch.clamp(_mel(n_fft, bands) @ magnitude(x, n_fft, hop), min=1e-5))


def stft_loss(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    total = y.new_zeros(())
    for n_fft, hop in STFT_RESOLUTIONS:
        my, mx = magnitude(y, n_fft, hop), magnitude(x, n_fft, hop)
        sc = torch.linalg.norm(mx - my) / torch.clamp(torch.linalg.norm(mx), min=1e-5)
        total = total + sc + F.l1_loss(torch.log(my), torch.log(mx))
    return total / len(STFT_RESOLUTIONS)


def mel_loss(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return sum(F.l1_loss(log_mel(y, n, h, b), log_mel(x, n, h, b)) for n, h, b in MEL_RESOLUTIONS) / len(MEL_RESOLUTIONS)


def mel_distance(y: torch.Tensor, x: torch.Tensor) -> float:
    """The card's log-mel distance (lower is better; 0 is identical)."""
    return float(F.l1_loss(log_mel(y), log_mel(x)))


def si_sdr(y: torch.Tensor, x: torch.Tensor) -> float:
    """Scale-invariant SDR of estimate y against reference x, dB."""
    x = x - x.mean()
    y = y - y.mean()
    target = (torch.dot(y, x) / torch.clamp(torch.dot(x, x), min=1e-9)) * x
    noise = y - target
    return float(10 * torch.log10(torch.clamp(torch.dot(target, target), min=1e-12) / torch.clamp(torch.dot(noise, noise), min=1e-12)))
