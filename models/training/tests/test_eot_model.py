"""Known-answer tests for the end-of-turn model's n-gram path.

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eot.model import AGENT_ID, PAD_ID, SEP_ID, EotModel, NgramBag  # noqa: E402


class Segments(unittest.TestCase):
    def test_utterance_is_after_the_last_sep(self) -> None:
        ids = torch.tensor([[PAD_ID, AGENT_ID, 10, 11, SEP_ID, 20, 21]])
        in_utt, in_ctx = NgramBag.segments(ids, (ids != PAD_ID).long())
        self.assertEqual(in_utt.tolist(), [[0, 0, 0, 0, 0, 1, 1]])
        self.assertEqual(in_ctx.tolist(), [[0, 1, 1, 1, 0, 0, 0]])

    def test_all_utterance_when_the_sep_was_cut_away(self) -> None:
        ids = torch.tensor([[20, 21, 22]])
        in_utt, in_ctx = NgramBag.segments(ids, torch.ones_like(ids))
        self.assertEqual(in_utt.tolist(), [[1, 1, 1]])
        self.assertEqual(in_ctx.tolist(), [[0, 0, 0]])


class NgramPath(unittest.TestCase):
    def setUp(self) -> None:
        torch.manual_seed(0)
        self.model = EotModel(64, 16, 1, 2, 32, 16, 0.0, ngram_buckets=97).eval()

    def test_left_padding_does_not_change_the_probability(self) -> None:
        ids = torch.tensor([[AGENT_ID, 10, 11, SEP_ID, 20, 21, 22]])
        padded = torch.cat([torch.full((1, 3), PAD_ID), ids], dim=1)
        with torch.no_grad():
            a = self.model(ids, torch.ones_like(ids))
            b = self.model(padded, (padded != PAD_ID).long())
        self.assertAlmostEqual(float(a), float(b), places=5)

    def test_word_order_reaches_the_logit_through_bigrams(self) -> None:
        # Same tokens, different order: the unigram means agree, so only the bigram table differs.
        x = torch.tensor([[SEP_ID, 20, 21, 22]])
        y = torch.tensor([[SEP_ID, 22, 21, 20]])
        with torch.no_grad():
            nx = self.model.ngram(x, torch.ones_like(x))
            ny = self.model.ngram(y, torch.ones_like(y))
            self.model.ngram.bi.weight.zero_()
            zx = self.model.ngram(x, torch.ones_like(x))
            zy = self.model.ngram(y, torch.ones_like(y))
        self.assertNotAlmostEqual(float(nx), float(ny), places=4)
        self.assertAlmostEqual(float(zx), float(zy), places=6)


if __name__ == "__main__":
    unittest.main()
