"""ONNX export of the streaming recognizer (the chunk-step graph the server runs).

Inputs feats [1, T, 80] (T a multiple of the stride S), conv_cache [1, K - S, 80], state [L, 1, H];
outputs log_probs [1, T/S, V], conv_cache_out, state_out. The server carries the two caches
from chunk to chunk, so any chunking of an utterance gives the same output as the whole.
"""
from __future__ import annotations

from pathlib import Path

import torch

from asr.model import FEAT_DIM, StreamingCtc
from lib.export import export_onnx

INPUTS = ["feats", "conv_cache", "state"]
OUTPUTS = ["log_probs", "conv_cache_out", "state_out"]


def export_streaming(model: StreamingCtc, path: Path) -> dict:
    feats = torch.zeros(1, 4 * model.stride, FEAT_DIM)
    cache, state = model.initial(1)
    return export_onnx(
        model,
        (feats, cache, state),
        path,
        INPUTS,
        OUTPUTS,
        {"feats": {1: "frames"}, "log_probs": {1: "out_frames"}},
    )


def run_chunked(model: StreamingCtc, feats: torch.Tensor, chunk: int) -> torch.Tensor:
    """Log-probs of one utterance [1, T, 80] fed `chunk` frames at a time (chunk a multiple of the stride)."""
    cache, state = model.initial(1)
    outs = []
    with torch.no_grad():
        usable = feats.shape[1] - feats.shape[1] % model.stride  # the graph takes whole strides
        for at in range(0, usable, chunk):
            y, cache, state = model(feats[:, at : min(at + chunk, usable)], cache, state)
            outs.append(y)
    return torch.cat(outs, dim=1)


def write_model_folder(
    model: StreamingCtc,
    out: Path,
    name: str,
    version: str,
    parity_frames: int = 42,
    decoder: dict | None = None,
) -> None:
    """model.onnx + manifest.json (kind "asr", contract banter-ctc/1) + parity.json, ready for the registry.

    `decoder` ({beam_width, lm_weight, word_bonus}) declares beam search with the word LM that
    must already be in the folder as lm.arpa.gz (asr/build_lm.py); without it, greedy decoding.
    """
    from asr.text import BLANK, VOCAB
    from lib.export import sha256, write_json, write_parity

    out.mkdir(parents=True, exist_ok=True)
    desc = export_streaming(model, out / "model.onnx")
    manifest = {
        "schema": "banter.model/1",
        "name": name,
        "kind": "asr",
        "version": version,
        "description": "Streaming CTC recognizer: Kaldi fbank (80) in, character log-probabilities out",
        "files": {"model": "model.onnx", **({"lm": "lm.arpa.gz"} if decoder else {})},
        "sha256": {
            "model.onnx": sha256(out / "model.onnx"),
            **({"lm.arpa.gz": sha256(out / "lm.arpa.gz")} if decoder else {}),
        },
        "inputs": desc["inputs"],
        "outputs": desc["outputs"],
        "rates": {"sample_rate_hz": 16000, "frame_ms": 10 * model.stride},
        "vocab": {"size": len(VOCAB), "special_tokens": {"blank": VOCAB[BLANK]}},
        "asr": {
            "contract": "banter-ctc/1",
            "features": {"type": "kaldi-fbank", "num_mel_bins": FEAT_DIM, "input_scale": 32768},
            "subsampling": model.stride,
            "conv_context": model.context,
            "state_shape": [model.layers, 1, model.hidden],
            "symbols": VOCAB,
            "blank": BLANK,
            "separator": " ",
            **({"decoder": {"type": "beam", "lm": "lm", **decoder}} if decoder else {}),
        },
        "params": sum(p.numel() for p in model.parameters()),
        "opset": desc["opset"],
    }
    write_json(out / "manifest.json", manifest)
    gen = torch.Generator().manual_seed(7)
    feats = torch.randn(1, parity_frames, FEAT_DIM, generator=gen) * 2 + 5
    with torch.no_grad():
        whole, _, _ = model(feats, *model.initial(1))
    write_parity(
        out / "parity.json",
        name,
        1e-4,
        [{"feats": feats[0].tolist(), "log_probs": whole[0].tolist()}],
    )
