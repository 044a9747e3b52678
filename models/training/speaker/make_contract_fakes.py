"""A tiny stand-in for a WeSpeaker / 3D-Speaker ONNX export, for loader tests (no model hub here).

    /usr/bin/python3 models/training/speaker/make_contract_fakes.py

Writes server/speaker/testdata/wespeaker-like/: `model.onnx` with WeSpeaker's tensor names and
shapes (`feats` [B, T, 80] -> `embs` [B, 16], NOT unit length, as WeSpeaker returns), whose
output is a checkable function of its input: embs = mean_t(feats^2) @ W with a fixed W. Also
`expected.json`: the unit embedding that function gives for a stretch of a committed fixture,
computed from torchaudio's Kaldi fbank with mean normalization. A loader that feeds the wrong
features, skips the normalization or reads the wrong tensor fails the test. It proves the
plumbing, not a real model's weights.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from asr.synth import read_wav  # noqa: E402
from lib.common import REPO_ROOT  # noqa: E402
from lib.export import sha256, write_json  # noqa: E402

OUT = REPO_ROOT / "server" / "speaker" / "testdata" / "wespeaker-like"
WAV = "fixtures/audio/speech_rms.wav"
SPAN_S = (0.9, 2.9)
DIM = 16


def main() -> None:
    import torch
    import torchaudio.compliance.kaldi as kaldi

    w = np.random.default_rng(7).standard_normal((80, DIM)).astype(np.float32) / 80
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["feats", "feats"], ["sq"]),
            helper.make_node("ReduceMean", ["sq"], ["pooled"], axes=[1], keepdims=0),
            helper.make_node("MatMul", ["pooled", "W"], ["embs"]),
        ],
        "wespeaker_like",
        [helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["B", "T", 80])],
        [helper.make_tensor_value_info("embs", TensorProto.FLOAT, ["B", DIM])],
        [numpy_helper.from_array(w, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="banter fakes")
    onnx.checker.check_model(model)
    OUT.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(OUT / "model.onnx"))
    write_json(
        OUT / "manifest.json",
        {
            "schema": "banter.model/1",
            "name": "wespeaker-like",
            "kind": "speaker",
            "version": "0.0.1",
            "description": "Test stand-in with WeSpeaker's ONNX interface (not a real speaker model)",
            "files": {"model": "model.onnx"},
            "sha256": {"model.onnx": sha256(OUT / "model.onnx")},
            "inputs": [{"name": "feats", "type": "float32", "shape": ["B", "T", 80]}],
            "outputs": [{"name": "embs", "type": "float32", "shape": ["B", DIM]}],
            "speaker": {"contract": "fbank-embedding/1", "embedding_dim": DIM, "cmn": True},
        },
    )
    samples, rate = read_wav(REPO_ROOT / WAV)
    clip = samples[int(SPAN_S[0] * rate) : int(SPAN_S[1] * rate)]
    f = kaldi.fbank(torch.from_numpy(clip * 32768.0).unsqueeze(0), num_mel_bins=80, sample_frequency=rate, dither=0.0)
    f = (f - f.mean(dim=0, keepdim=True)).numpy()
    e = (f**2).mean(axis=0) @ w
    write_json(OUT / "expected.json", {"wav": WAV, "start_s": SPAN_S[0], "end_s": SPAN_S[1], "embedding": (e / np.linalg.norm(e)).tolist()})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
