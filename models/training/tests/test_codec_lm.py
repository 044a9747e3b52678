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


class CodecLmMasks(unittest.TestCase):
    """No prediction may see a token its pattern decodes in the same pass or later."""

    def check(self, pattern: str, schedule: tuple[int, ...] = (0,)) -> None:
        import torch

        from codec_lm.model import CodecLm, LmConfig, collate, layout

        K, T = 3, 6
        c = LmConfig(pattern=pattern, schedule=schedule, codebooks=K, codebook_size=16, phonemes=10, dim=32, layers=2, heads=2)
        torch.manual_seed(0)
        model = CodecLm(c).eval()
        spec = Spec(pattern if pattern != "flat" else "flat", schedule=schedule if pattern == "stack-delay" else None)
        at = {cell: s for s, p in enumerate(plan(spec, K, T)) for cell in p if cell is not None}
        rng = random.Random(1)
        base = torch.tensor([[rng.randrange(16) for _ in range(T)] for _ in range(K)])
        phonemes, words = [3, 4, 5], [0, 1, 1, 2, 2, 3]

        def logits_at(codes, where):
            lay = layout(c, phonemes, codes, words)
            b = collate([lay])
            with torch.no_grad():
                out, _ = model(b["inputs"], b["positions"], b["depth"], b["mask"])
            cells = dict((cell, pos) for pos, cell in lay.cells)
            (p, head) = cells[where]
            return out[0, p, head]

        seen_something = 0
        for t in range(T):
            for k in range(K):
                x = (t, k)
                later = base.clone()
                for (tt, kk), s in at.items():
                    if s >= at[x]:
                        later[kk, tt] = (later[kk, tt] + 1 + rng.randrange(14)) % 16
                self.assertTrue(torch.allclose(logits_at(base, x), logits_at(later, x), atol=1e-5), f"{pattern}: {x} sees the future")
                earlier = base.clone()
                for (tt, kk), s in at.items():
                    if s < at[x]:
                        earlier[kk, tt] = (earlier[kk, tt] + 1) % 16
                seen_something += int(not torch.allclose(logits_at(base, x), logits_at(earlier, x), atol=1e-5))
        # everything but the very first cell has an earlier token to read
        self.assertEqual(seen_something, K * T - 1)

    def test_flat(self) -> None:
        self.check("flat")

    def test_delay(self) -> None:
        self.check("delay")

    def test_stack_delay(self) -> None:
        self.check("stack-delay")

    def test_stack_delay_interleaved(self) -> None:
        self.check("stack-delay", (0, 2, 1))


class StepContract(unittest.TestCase):
    """Decoding pass by pass through the exported step graph computes what training computed."""

    def check(self, pattern: str, schedule: tuple[int, ...] = (0,)) -> None:
        import torch

        from codec_lm.model import CodecLm, LmConfig, StepGraph, collate, layout
        from codec_lm.runner import teacher_forced_logits

        K, T = 3, 5
        c = LmConfig(pattern=pattern, schedule=schedule, codebooks=K, codebook_size=16, phonemes=10, dim=32, layers=2, heads=2)
        torch.manual_seed(0)
        model = CodecLm(c).eval()
        codes = torch.randint(0, 16, (K, T))
        phonemes, words = [3, 4, 5, 6], [0, 1, 1, 2, 2]
        lay = layout(c, phonemes, codes, words)
        b = collate([lay])
        with torch.no_grad():
            full, _ = model(b["inputs"], b["positions"], b["depth"], b["mask"])
        steps = teacher_forced_logits(StepGraph(model), phonemes, codes)
        self.assertEqual(len(steps), K * (T + 1))
        for (pos, head), cell in lay.cells:
            self.assertTrue(torch.allclose(full[0, pos, head], steps[cell], atol=1e-5), f"{pattern} {cell}")

    def test_flat(self) -> None:
        self.check("flat")

    def test_delay(self) -> None:
        self.check("delay")

    def test_stack_delay(self) -> None:
        self.check("stack-delay")

    def test_stack_delay_interleaved(self) -> None:
        self.check("stack-delay", (0, 2, 1))


class AfterEos(unittest.TestCase):
    """Inference plans over more frames than it will use; once EOS is known, frames after it are
    left out, so every pass looks as it did in training (identity schedules)."""

    def test_post_eos_passes_match_training(self) -> None:
        import torch

        from codec_lm.model import CodecLm, LmConfig, StepGraph
        from codec_lm.runner import teacher_forced_logits

        for pattern in ("flat", "delay", "stack-delay"):
            c = LmConfig(pattern=pattern, codebooks=3, codebook_size=16, phonemes=10, dim=32, layers=2, heads=2)
            torch.manual_seed(0)
            graph = StepGraph(CodecLm(c).eval())
            codes = torch.randint(0, 16, (3, 5))
            exact = teacher_forced_logits(graph, [3, 4, 5], codes)
            planned_long = teacher_forced_logits(graph, [3, 4, 5], codes, max_frames=12)
            self.assertEqual(set(exact), set(planned_long))
            for cell in exact:
                self.assertTrue(torch.allclose(exact[cell], planned_long[cell], atol=1e-5), f"{pattern} {cell}")

