"""Tests of the TDM stream, the episode simulator and the decoder's KV-cache path (no data sets needed).

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import random
import sys
import unittest
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.wordpiece import WordPiece, build_vocab  # noqa: E402
from tdm.data import encode_episode  # noqa: E402
from tdm.episodes import DECISION_TEXT, Options, pair_turns, simulate  # noqa: E402
from tdm.model import Config, OptimumWrapper, TdmLM  # noqa: E402
from tdm.stream import BARGE_IN, CONT, DONE, EOS, IDLE, SPECIALS, STOP, USER, eot_bucket, prepare_assistant  # noqa: E402

PAIRS = [
    ("I want to book a table for two at seven.", "Sure. Which restaurant would you like me to book for you tonight?"),
    ("Sino in San Jose please.", "Confirming a table for 2 at Sino in San Jose at 7 pm. Is that right?"),
    ("Yes, that's right.", "Your table is booked. Their phone number is 408-247-8880."),
    ("What's the address?", "The street address is 377 Santana Row. Anything else I can help with?"),
    ("No, thanks.", "Have a great evening."),
]
BACKCHANNELS = ["uh huh", "yeah", "right"]


def run(seed: int, **opt) -> list:
    return simulate(PAIRS, random.Random(seed), Options(**opt), ["table", "book"], BACKCHANNELS).slices


class Stream(unittest.TestCase):
    def test_assistant_text_keeps_sentence_punctuation_as_words(self) -> None:
        self.assertEqual(prepare_assistant("Your table at 11:30 am, confirmed!"), "your table at 11 30 am , confirmed !")
        self.assertEqual(prepare_assistant("Call 408-247-8880... ok?"), "call 408 247 8880 . ok ?")

    def test_eot_buckets_cover_zero_to_one(self) -> None:
        self.assertEqual([eot_bucket(p) for p in (0.0, 0.19, 0.2, 0.59, 0.99, 1.0)], ["<eot0>", "<eot0>", "<eot1>", "<eot2>", "<eot4>", "<eot4>"])


class Episodes(unittest.TestCase):
    def test_without_interruptions_every_reply_is_written_in_full_once(self) -> None:
        slices = run(1, interrupt_rate=0.0)
        words = [w for s in slices if s.decision == DECISION_TEXT for w in s.text]
        want = [w for _, a in PAIRS for w in prepare_assistant(a).split()]
        self.assertEqual(words, want)
        self.assertEqual(sum(s.eos for s in slices), len(PAIRS))
        self.assertEqual(sum(DONE in s.signals for s in slices), len(PAIRS))
        self.assertEqual(sum(s.tag in ("answer", "answer_late") for s in slices), len(PAIRS))

    def test_an_unsure_end_of_turn_is_answered_on_the_sessions_sure_signal_after_a_varied_wait(self) -> None:
        waits = set()
        for seed in range(40):
            slices = run(seed, interrupt_rate=0.0)
            for k, s in enumerate(slices):
                if s.tag != "answer_late":
                    continue
                self.assertIn(eot_bucket(1.0), s.signals)  # told again, sure: the answerBy timer
                self.assertEqual(s.decision, DECISION_TEXT)
                n = 0
                while slices[k - 1 - n].tag == "wait" and slices[k - 1 - n].decision == IDLE and not any(
                    x.startswith("<eot") for x in slices[k - 1 - n].signals
                ):
                    n += 1
                self.assertGreaterEqual(n, 1)
                waits.add(n)
        self.assertGreater(len(waits), 1, "the wait must vary, or the model learns to count slices")

    def test_slices_tile_the_clock_and_close_early_only_on_events(self) -> None:
        slices = run(2)
        for a, b in zip(slices, slices[1:]):
            self.assertEqual(a.end_ms, b.start_ms)
        for s in slices:
            self.assertLessEqual(s.end_ms - s.start_ms, 400)
            short = s.end_ms - s.start_ms < 400
            event = any(x.startswith("<eot") for x in s.signals) or BARGE_IN in s.signals
            if short and s is not slices[-1]:
                self.assertTrue(event, f"slice {s.start_ms}-{s.end_ms} closed early without an event")

    def test_real_interruptions_stop_and_truncate_to_what_was_heard(self) -> None:
        stops = 0
        for seed in range(6):
            slices = run(seed, interrupt_rate=1.0, kinds=(("real", 1.0),))
            for i, s in enumerate(slices):
                if s.decision == STOP:
                    stops += 1
                    self.assertEqual(s.tag, "interrupt")
                    before = [x for x in slices[:i] if x.tag == "hold"]
                    self.assertTrue(before, "a stop follows a barge-in hold")
                    # the stopped reply never reaches its <eos> in the history
                    reply = slices[i - 1].reply
                    self.assertFalse(any(x.eos and x.reply == reply and reply >= 0 for x in slices[:i]))
        self.assertGreater(stops, 3)

    def test_backchannels_and_noise_never_stop_a_reply(self) -> None:
        tags: Counter = Counter()
        for seed in range(8):
            slices = run(seed, interrupt_rate=1.0, kinds=(("backchannel", 0.5), ("noise", 0.5)))
            self.assertFalse(any(s.decision == STOP for s in slices))
            for s in slices:
                tags[s.tag] += 1
                if s.tag in ("backchannel", "false_interruption"):
                    self.assertIn(s.decision, (CONT, DECISION_TEXT))
                if s.tag == "hold":
                    self.assertEqual(s.decision, IDLE)
        self.assertGreater(tags["backchannel"] + tags["false_interruption"], 5)

    def test_pair_turns_joins_runs_and_drops_an_opening_assistant_turn(self) -> None:
        d = [("S", "hello"), ("U", "hi"), ("U", "there"), ("S", "how can i help")]
        self.assertEqual(pair_turns(d, "S"), [("hi there", "how can i help")])


class Encoding(unittest.TestCase):
    def test_loss_covers_banter_side_and_the_u_that_ends_a_word_slice(self) -> None:
        ep = simulate(PAIRS, random.Random(3), Options(), ["table"], BACKCHANNELS)
        counts: Counter = Counter()
        for _, a in PAIRS:
            counts.update(prepare_assistant(a).split())
        for u, _ in PAIRS:
            counts.update(u.lower().split())
        wp = WordPiece(build_vocab(counts, SPECIALS, 400, min_char_count=1))
        enc = encode_episode(ep, wp)
        for k, s in enumerate(ep.slices):
            d = int(enc.decision_at[k])
            self.assertEqual(enc.loss[d], 1)
            self.assertEqual(enc.loss[int(enc.slice_at[k]) + 1 : d].sum(), 0)
            if k + 1 < len(ep.slices):
                u = int(enc.slice_at[k + 1])
                self.assertEqual(wp.vocab[enc.ids[u]], USER)
                self.assertEqual(enc.loss[u], int(s.decision == DECISION_TEXT and not s.eos))
            if s.eos:
                self.assertEqual(wp.vocab[enc.ids[int(enc.slice_at[k + 1]) - 1]] if k + 1 < len(ep.slices) else EOS, EOS)

    def test_tag_weight_weighs_only_the_decisions_of_tagged_slices(self) -> None:
        ep = simulate(PAIRS, random.Random(3), Options(), ["table"], BACKCHANNELS)
        counts: Counter = Counter()
        for u, a in PAIRS:
            counts.update(prepare_assistant(a).split())
            counts.update(u.lower().split())
        wp = WordPiece(build_vocab(counts, SPECIALS, 400, min_char_count=1))
        plain, weighted = encode_episode(ep, wp), encode_episode(ep, wp, tag_weight=4.0)
        self.assertTrue(any(s.tag for s in ep.slices))
        decisions = {int(d) for d in weighted.decision_at}
        for k, s in enumerate(ep.slices):
            d = int(weighted.decision_at[k])
            self.assertEqual(weighted.loss[d], 4.0 if s.tag else 1.0)
        others = [i for i in range(len(plain.loss)) if i not in decisions]
        np.testing.assert_array_equal(weighted.loss[others], plain.loss[others])


class Decoder(unittest.TestCase):
    def test_kv_cache_steps_equal_the_full_forward(self) -> None:
        torch.manual_seed(0)
        m = TdmLM(Config(vocab=50, ctx=32, layers=2, dim=32, heads=4, ff=64)).eval()
        ids = torch.randint(0, 50, (1, 12))
        with torch.no_grad():
            full = m(ids)
            wrap = OptimumWrapper(m)
            past = [torch.zeros(1, 4, 0, 8) for _ in range(4)]
            outs = []
            pos = 0
            for chunk in (ids[:, :5], ids[:, 5:6], ids[:, 6:12]):
                n = chunk.shape[1]
                res = wrap(chunk, torch.ones(1, pos + n, dtype=torch.int64), torch.arange(pos, pos + n)[None], *past)
                outs.append(res[0])
                past = list(res[1:])
                pos += n
        self.assertTrue(torch.allclose(torch.cat(outs, dim=1), full, atol=1e-5))
        self.assertEqual(past[0].shape, (1, 4, 12, 8))


if __name__ == "__main__":
    unittest.main()
