"""Known-answer tests for the end-of-turn baselines and the FTAD label audit.

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eot.data import Example  # noqa: E402
from eot.ftad_analysis import completeness_vs_label, repeated_utterance_oracle  # noqa: E402
from eot.heuristics import ngram_logreg_scores  # noqa: E402
from lib.metrics import roc_auc  # noqa: E402


def ex(utterance: str, label: int, last_role: str = "agent") -> Example:
    return Example([(last_role, "so what do you think")], utterance, label, "test")


class RepeatedUtteranceOracle(unittest.TestCase):
    def test_group_rates_bound_the_auc(self) -> None:
        # "yeah": 3 of 5 turn ends (score 0.6); "right": 1 of 5 (score 0.2). Of the 24 positive-negative
        # pairs, 12 are ordered right (yeah+ over right-), 6 + 4 are ties (half each), 2 are wrong: 17/24.
        rows = [ex("yeah", y) for y in (1, 1, 1, 0, 0)] + [ex("right", y) for y in (0, 0, 0, 0, 1)]
        rows.append(ex("a sentence said once", 1))  # occurs fewer than 5 times: not in the repeated subset
        res = repeated_utterance_oracle(rows)["utterance_only"]
        self.assertEqual(res["rows"], 10)
        self.assertAlmostEqual(res["share_of_test"], round(10 / 11, 4))
        self.assertAlmostEqual(res["oracle_roc_auc_on_repeated"], round(17 / 24, 4))

    def test_speaker_of_the_last_ipu_splits_groups(self) -> None:
        # Who spoke last separates the labels completely, so the keyed oracle is perfect.
        rows = [ex("yeah", 1, "agent") for _ in range(3)] + [ex("yeah", 0, "user") for _ in range(3)]
        res = repeated_utterance_oracle(rows)
        self.assertEqual(res["utterance_only"]["oracle_roc_auc_on_repeated"], 0.5)
        self.assertEqual(res["utterance_and_last_speaker"]["oracle_roc_auc_on_repeated"], 1.0)


class CompletenessVsLabel(unittest.TestCase):
    def test_counts_unfinished_endings_and_acknowledgements(self) -> None:
        rows = [
            ex("i went to the", 1),  # unfinished, labelled a turn end
            ex("we drove out of", 0),  # unfinished
            ex("i think so", 1),  # "so" is not in the strict list
            ex("the", 1),  # too short to count
            ex("yeah", 0),
            ex("right", 1),
        ]
        res = completeness_vs_label(rows)
        self.assertEqual(res["unfinished_3plus_words"], {"rows": 2, "labelled_turn_end": 0.5})
        self.assertEqual(res["one_word_acknowledgement"], {"rows": 2, "labelled_not_turn_end": 0.5})


class NgramLogreg(unittest.TestCase):
    def test_learns_a_separable_ending(self) -> None:
        def rows(n: int, offset: int) -> list[Example]:
            out = []
            for i in range(offset, offset + n):
                out.append(ex(f"i would like item {i} for the", 0))
                out.append(ex(f"i would like item {i} thanks", 1))
            return out

        train, dev, test = rows(40, 0), rows(10, 100), rows(10, 200)
        scores, choice = ngram_logreg_scores(train, dev, test, seed=1)
        self.assertEqual(roc_auc([e.label for e in test], scores), 1.0)
        self.assertIn(choice["chosen_C"], (0.03, 0.1, 0.3, 1.0, 3.0))


if __name__ == "__main__":
    unittest.main()
