"""Known-answer tests for the codec LM's codebook patterns (the twin of server/tts/patterns).

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import itertools
import json
import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codec_lm.patterns import KINDS, Spec, build, fixture, plan, revert  # noqa: E402
from lib.common import REPO_ROOT  # noqa: E402

SPECS = [Spec(k) for k in KINDS] + [Spec("stack-delay", schedule=(0, 2, 4, 1, 3, 5)), Spec("delay", delays=None)]


class Patterns(unittest.TestCase):
    def test_revert_of_build_is_identity_for_every_pattern_k_and_t(self) -> None:
        for spec, K, T in itertools.product(SPECS, range(1, 9), range(0, 14)):
            codes = [[k * 1000 + t for t in range(T)] for k in range(K)]
            p = plan(spec, K, T)
            self.assertEqual(revert(p, build(p, codes, -1), K, T), codes, f"{spec} K={K} T={T}")
            cells = [c for row in p for c in row if c is not None]
            self.assertEqual(len(cells), K * T)
            self.assertEqual(len(set(cells)), K * T)

    def test_random_schedules_and_delays(self) -> None:
        rng = random.Random(3)
        for _ in range(200):
            K, T, n = rng.randint(1, 8), rng.randint(0, 30), rng.randint(1, 7)
            schedule = tuple(rng.sample(range(n), n))
            delays = tuple(rng.randint(0, 4) for _ in range(K))
            codes = [[rng.randrange(1024) for _ in range(T)] for _ in range(K)]
            for spec in (Spec("stack-delay", schedule=schedule), Spec("delay", delays=delays)):
                p = plan(spec, K, T)
                self.assertEqual(revert(p, build(p, codes, -1), K, T), codes)

    def test_same_plans_as_the_typescript_twin(self) -> None:
        committed = json.loads((REPO_ROOT / "server" / "tts" / "patterns" / "testdata" / "plans.json").read_text())
        self.assertEqual(committed, fixture())


if __name__ == "__main__":
    unittest.main()
