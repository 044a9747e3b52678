"""The streaming recognizer is causal: chunked inference with carried caches equals one pass,
and the exported graph keeps the declared streaming contract.

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.export import INPUTS, OUTPUTS, export_streaming, run_chunked  # noqa: E402
from asr.model import StreamingCtc  # noqa: E402
from asr.text import VOCAB  # noqa: E402


class Streaming(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = StreamingCtc(hidden=32, layers=2, conv_channels=16).eval()
        self.feats = torch.randn(1, 60, 80)

    def test_chunked_inference_equals_one_pass(self):
        with torch.no_grad():
            whole, _, _ = self.model(self.feats, *self.model.initial(1))
        self.assertEqual(tuple(whole.shape), (1, 60 // self.model.stride, len(VOCAB)))
        for chunk in (3, 9, 33):
            self.assertTrue(torch.allclose(run_chunked(self.model, self.feats, chunk), whole, atol=1e-5), chunk)

    def test_the_future_does_not_change_the_past(self):
        later = self.feats.clone()
        later[:, 40:] = torch.randn(1, 20, 80)
        with torch.no_grad():
            a, _, _ = self.model(self.feats, *self.model.initial(1))
            b, _, _ = self.model(later, *self.model.initial(1))
        # Frames 0..39 are the first 13 output frames (stride 3, no look-ahead); the 14th sees frames 39..41.
        self.assertTrue(torch.allclose(a[:, :13], b[:, :13], atol=1e-6))
        self.assertFalse(torch.allclose(a[:, 13:], b[:, 13:]))

    def test_export_declares_the_streaming_contract(self):
        with tempfile.TemporaryDirectory() as tmp:
            desc = export_streaming(self.model, Path(tmp) / "model.onnx")
        self.assertEqual([t["name"] for t in desc["inputs"]], INPUTS)
        self.assertEqual([t["name"] for t in desc["outputs"]], OUTPUTS)


if __name__ == "__main__":
    unittest.main()
