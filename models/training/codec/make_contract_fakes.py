"""A tiny stand-in for an external stateless codec decoder (an EnCodec / DAC / Mimi style ONNX
export: `codes` [B, K, T] int64 in, `audio` [B, 1, samples] out, no state), for loader tests.

    /usr/bin/python3 models/training/codec/make_contract_fakes.py

Writes server/tts/codec/testdata/encodec-like/: `decoder.onnx` at 24 kHz, 4 codebooks of 32
entries, 480 samples a frame, whose output is a checkable function of its input: frame t's
samples are the sum over codebooks of a fixed waveform per token, plus half of frame t-1's
sum (a receptive field of one frame to the left, so a streaming decode needs one frame of
context to equal the whole one). `expected.json` holds tokens and the samples that function
gives. It proves the plumbing, not a real codec's weights.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO_ROOT  # noqa: E402
from lib.export import export_onnx, sha256, write_json  # noqa: E402

OUT = REPO_ROOT / "server" / "tts" / "codec" / "testdata" / "encodec-like"
K, SIZE, HOP, RATE = 4, 32, 480, 24000


class Stateless(torch.nn.Module):
    def __init__(self, tables: torch.Tensor):
        super().__init__()
        self.register_buffer("tables", tables)  # (K, SIZE, HOP)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        s = sum(F.embedding(codes[:, k], self.tables[k]) for k in range(K))  # (B, T, HOP)
        prev = torch.cat([torch.zeros_like(s[:, :1]), s[:, :-1]], dim=1)
        out = s + 0.5 * prev
        return out.reshape(out.shape[0], 1, -1)


def main() -> None:
    rng = np.random.default_rng(9)
    tables = torch.from_numpy((rng.standard_normal((K, SIZE, HOP)) * 0.05).astype(np.float32))
    model = Stateless(tables)
    OUT.mkdir(parents=True, exist_ok=True)
    codes = torch.from_numpy(rng.integers(0, SIZE, (1, K, 12)))
    g = export_onnx(model, (codes,), OUT / "decoder.onnx", ["codes"], ["audio"], {"codes": {0: "B", 2: "T"}, "audio": {0: "B", 2: "N"}})
    manifest = {
        "schema": "banter.model/1",
        "name": "encodec-like",
        "kind": "codec",
        "version": "0.0.1",
        "description": "A stateless test decoder with an external export's tensor shapes: a fixture, not a codec",
        "files": {"model": "decoder.onnx"},
        "sha256": {"decoder.onnx": sha256(OUT / "decoder.onnx")},
        "inputs": g["inputs"],
        "outputs": g["outputs"],
        "rates": {"sample_rate_hz": RATE, "frames_per_second": RATE / HOP},
        "codec": {
            "contract": "rvq-codec/1",
            "codebooks": K,
            "codebook_size": SIZE,
            "frame_samples": HOP,
            "decoder": {"codes": "codes", "audio": "audio", "context_frames": 1},
        },
    }
    write_json(OUT / "manifest.json", manifest)
    with torch.no_grad():
        audio = model(codes)
    write_json(OUT / "expected.json", {"codes": codes[0].tolist(), "audio": [round(v, 7) for v in audio.flatten().tolist()]})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
