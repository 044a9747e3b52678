"""Kaldi fbank as the server's frontend computes it (server/audio/features/fbank.ts): 80 bins,
torchaudio.compliance.kaldi's defaults, no dither, int16-scaled input. One definition for every
model trained on fbank (recognizer, speaker encoder) and for the frontend's parity fixture.
"""
from __future__ import annotations

import numpy as np
import torch


def kaldi_fbank(samples: np.ndarray, rate: int = 16000) -> torch.Tensor:
    """(frames, 80) log mel energies of float audio in [-1, 1]."""
    # Imported here: the unit tests CI runs have no torchaudio (Debian's python3-torchaudio is
    # only needed to build data and train).
    import torchaudio.compliance.kaldi as kaldi

    wav = torch.from_numpy(samples.astype(np.float32) * 32768.0).unsqueeze(0)
    return kaldi.fbank(wav, num_mel_bins=80, sample_frequency=rate, dither=0.0)
