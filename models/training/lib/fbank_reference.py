"""Reference Kaldi fbank features from torchaudio, for the TypeScript frontend's parity test.

    /usr/bin/python3 models/training/lib/fbank_reference.py

Writes server/audio/features/testdata/fbank-reference.json: a stretch of a fixture recording
(silence, then a speech onset) as int16 samples, with torchaudio's kaldi.fbank of it (80 bins,
default options, int16-scaled input). Needs python3-torchaudio.
"""
import json
import pathlib
import wave

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "server/audio/features/testdata/fbank-reference.json"


def read_wav(path):
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0, rate


def fbank(samples, rate):
    wav = torch.from_numpy(samples * 32768.0).unsqueeze(0)
    return kaldi.fbank(wav, num_mel_bins=80, sample_frequency=rate, dither=0.0).numpy()


def main():
    samples, rate = read_wav(ROOT / "fixtures/audio/speech_rms.wav")
    assert rate == 16000
    # 0.8 s to 1.6 s: silence, then the first utterance's onset at 1.02 s.
    clip = samples[int(0.8 * rate) : int(1.6 * rate)]
    feats = fbank(clip, rate)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "source": "fixtures/audio/speech_rms.wav, 0.8-1.6 s",
                "command": "/usr/bin/python3 models/training/lib/fbank_reference.py",
                "torchaudio": "compliance.kaldi.fbank(num_mel_bins=80, dither=0.0), input scaled by 32768",
                "sample_rate": rate,
                "samples_int16": [int(round(float(x) * 32768.0)) for x in clip],
                "frames": [[round(float(v), 5) for v in row] for row in feats],
            }
        )
        + "\n"
    )
    print(f"{OUT}: {feats.shape[0]} frames x {feats.shape[1]} bins")


if __name__ == "__main__":
    main()
