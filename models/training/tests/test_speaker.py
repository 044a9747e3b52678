"""Known-answer tests for the speaker encoder's training code (no data sets needed).

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import sys
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.metrics import equal_error_rate  # noqa: E402
from speaker.augment import RATE, add_at_snr, corrupt, speech_power, telephone  # noqa: E402
from speaker.data import trim_silence  # noqa: E402
from speaker.model import AamSoftmax, SpeakerEncoder, cmn  # noqa: E402
from speaker.voices import FSDD_HELD_OUT, LIBRI_DEV_COUNT, fsdd_split, libri_split  # noqa: E402


class Eer(unittest.TestCase):
    def test_separable_scores_give_zero(self) -> None:
        self.assertEqual(equal_error_rate([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1])[0], 0.0)

    def test_reversed_scores_give_one(self) -> None:
        self.assertEqual(equal_error_rate([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])[0], 1.0)

    def test_two_unit_gaussians_two_apart_cross_at_phi_minus_one(self) -> None:
        rng = np.random.default_rng(0)
        labels = np.r_[np.ones(20000), np.zeros(20000)]
        scores = np.r_[rng.normal(1, 1, 20000), rng.normal(-1, 1, 20000)]
        eer, threshold = equal_error_rate(labels, scores)
        self.assertAlmostEqual(eer, 0.1587, delta=0.006)
        self.assertAlmostEqual(threshold, 0.0, delta=0.05)


class Splits(unittest.TestCase):
    def test_dev_speakers_are_the_lowest_ids_and_never_trained_on(self) -> None:
        ids = [str(i) for i in (5, 100, 3, 42, 7)] + [str(1000 + i) for i in range(30)]
        train, dev = libri_split(ids)
        self.assertEqual(len(dev), LIBRI_DEV_COUNT)
        self.assertEqual(dev[:3], ["3", "5", "7"])
        self.assertFalse(set(train) & set(dev))
        self.assertEqual(len(train) + len(dev), len(ids))

    def test_held_out_fsdd_speakers_stay_out_of_training(self) -> None:
        train, test = fsdd_split(["george", "jackson", "lucas", "nicolas", "theo", "yweweler"])
        self.assertEqual(tuple(test), FSDD_HELD_OUT)
        self.assertFalse(set(train) & set(FSDD_HELD_OUT))


class Augment(unittest.TestCase):
    def test_snr_is_the_requested_one(self) -> None:
        rng = np.random.default_rng(1)
        x, n = rng.standard_normal(16000), rng.standard_normal(16000) * 3
        mixed = add_at_snr(x, n, 10.0)
        self.assertAlmostEqual(10 * np.log10(speech_power(x) / speech_power(mixed - x)), 10.0, places=6)

    def test_telephone_band_removes_what_a_phone_line_cannot_carry(self) -> None:
        t = np.arange(RATE) / RATE
        low, mid, high = (np.sin(2 * np.pi * f * t) for f in (100, 1000, 6000))
        y = telephone(0.3 * (low + mid + high))
        spec = np.abs(np.fft.rfft(y))
        self.assertLess(spec[100], 0.05 * spec[1000])
        self.assertLess(spec[6000], 0.05 * spec[1000])

    def test_corruption_is_reproducible_from_the_seed_and_keeps_the_length(self) -> None:
        x = np.random.default_rng(2).standard_normal(24000).astype(np.float32) * 0.1
        noise = [np.random.default_rng(3).standard_normal(64000)]
        a = corrupt(x, np.random.default_rng(9), noise, x[::-1].copy())
        b = corrupt(x, np.random.default_rng(9), noise, x[::-1].copy())
        self.assertEqual(a.shape, x.shape)
        np.testing.assert_array_equal(a, b)
        self.assertLessEqual(float(np.abs(a).max()), 1.0)

    def test_trim_silence_drops_quiet_frames_only(self) -> None:
        x = np.concatenate([np.zeros(3200), np.ones(3200) * 0.5, np.full(3200, 1e-5)]).astype(np.float32)
        self.assertEqual(len(trim_silence(x)), 3200)


class Encoder(unittest.TestCase):
    def setUp(self) -> None:
        torch.manual_seed(0)
        self.model = SpeakerEncoder(channels=32, dim=16).eval()

    def test_embeddings_are_unit_vectors_for_any_length(self) -> None:
        with torch.no_grad():
            for frames in (20, 150, 333):
                e = self.model(cmn(torch.randn(2, frames, 80)))
                self.assertEqual(tuple(e.shape), (2, 16))
                np.testing.assert_allclose(e.norm(dim=1).numpy(), 1.0, atol=1e-5)

    def test_cmn_removes_a_constant_offset(self) -> None:
        f = torch.randn(1, 100, 80)
        with torch.no_grad():
            a, b = self.model(cmn(f)), self.model(cmn(f + 7.0))
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)

    def test_margin_makes_the_true_class_harder(self) -> None:
        head = AamSoftmax(16, 10)
        emb = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
        labels = torch.arange(8)
        self.assertGreater(float(head(emb, labels, 0.2)), float(head(emb, labels, 0.0)))


if __name__ == "__main__":
    unittest.main()
