"""ONNX export of the streaming recognizer (the chunk-step graph the server runs).

Inputs feats [1, T, 80] (T even), conv_cache [1, 2, 80], state [L, 1, H];
outputs log_probs [1, T/2, V], conv_cache_out, state_out. The server carries the two caches
from chunk to chunk, so any chunking of an utterance gives the same output as the whole.
"""
from __future__ import annotations

from pathlib import Path

import torch

from asr.model import CONV_CONTEXT, FEAT_DIM, StreamingCtc
from lib.export import export_onnx

INPUTS = ["feats", "conv_cache", "state"]
OUTPUTS = ["log_probs", "conv_cache_out", "state_out"]


def export_streaming(model: StreamingCtc, path: Path) -> dict:
    feats = torch.zeros(1, 8, FEAT_DIM)
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
    """Log-probs of one utterance [1, T, 80] fed `chunk` frames at a time (chunk even)."""
    cache, state = model.initial(1)
    outs = []
    with torch.no_grad():
        for at in range(0, feats.shape[1] - feats.shape[1] % 2, chunk):
            part = feats[:, at : at + chunk]
            part = part[:, : part.shape[1] - part.shape[1] % 2]
            y, cache, state = model(part, cache, state)
            outs.append(y)
    return torch.cat(outs, dim=1)


assert CONV_CONTEXT == 2
