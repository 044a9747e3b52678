"""Known-answer tests for the recognizer's text (spoken forms, alphabet) and its voice plan.

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.text import ALPHABET, decode, encode, number_words, ordinal_words, spoken_form  # noqa: E402
from asr.voices import require_training_voice, training_voice_problem, training_voices  # noqa: E402


class SpokenForm(unittest.TestCase):
    def test_numbers_times_money_and_ordinals_are_spelled_out(self):
        self.assertEqual(number_words(0), "zero")
        self.assertEqual(number_words(45), "forty five")
        self.assertEqual(number_words(312), "three hundred twelve")
        self.assertEqual(number_words(2500), "two thousand five hundred")
        self.assertEqual(ordinal_words(21), "twenty first")
        self.assertEqual(ordinal_words(30), "thirtieth")
        self.assertEqual(spoken_form("Book a table for 2 at 11:30 am."), "book a table for two at eleven thirty a m")
        self.assertEqual(spoken_form("at 9:05"), "at nine oh five")
        self.assertEqual(spoken_form("It's $45.50, 20% off!"), "it's forty five dollars fifty cents twenty percent off")
        self.assertEqual(spoken_form("The 3rd of March 2019"), "the third of march twenty nineteen")
        self.assertEqual(spoken_form("call 4155551234"), "call four one five five five five one two three four")

    def test_text_that_cannot_be_said_plainly_is_dropped(self):
        self.assertEqual(spoken_form("café au lait"), "")
        self.assertEqual(spoken_form("¿qué?"), "")
        self.assertEqual(spoken_form("..."), "")

    def test_encode_decode_round_trip_in_the_alphabet(self):
        text = "don't stop me now"
        ids = encode(text)
        self.assertTrue(all(1 <= i <= len(ALPHABET) for i in ids))
        self.assertEqual(decode(ids), text)
        self.assertEqual(decode([0] + ids[:2] + [0]), text[:2])


class VoicePlan(unittest.TestCase):
    def test_evaluation_own_and_held_out_voices_are_refused(self):
        for voice in (
            "flite:rms",
            "festival:ked_diphone",
            "espeak-ng:en-gb-scotland",
            "espeak-ng:en-gb-scotland+m3",
            "flite:slt",
            "festival:cmu_us_slt_arctic_hts",
            "espeak-ng:en-029",
            "espeak-ng:en-029+f2",
        ):
            self.assertIsNotNone(training_voice_problem(voice), voice)
            with self.assertRaises(ValueError):
                require_training_voice(voice)

    def test_the_training_voices_are_many_and_all_allowed(self):
        voices = training_voices()
        self.assertGreater(len(voices), 100)
        self.assertEqual(len(voices), len(set(voices)))
        self.assertIn("flite:kal16", voices)
        self.assertIn("espeak-ng:en-us+f3", voices)
        self.assertFalse(any("scotland" in v or "029" in v or v in ("flite:rms", "flite:slt") for v in voices))
        self.assertIsNotNone(training_voice_problem("espeak-ng:en-us+whisper"))
        self.assertIsNotNone(training_voice_problem("espeak-ng:fr"))


class EvaluationVoices(unittest.TestCase):
    def test_the_evaluation_sets_use_only_voices_training_refuses(self):
        from asr.build_eval import CALLER_VOICES, evaluation_voice
        from asr.voices import HELD_OUT_TEST_VOICES

        for voice in (*CALLER_VOICES, *HELD_OUT_TEST_VOICES):
            self.assertEqual(evaluation_voice(voice), voice)
        with self.assertRaises(ValueError):
            evaluation_voice("espeak-ng:en-us+f3")
        with self.assertRaises(ValueError):
            evaluation_voice("flite:kal16")


if __name__ == "__main__":
    unittest.main()
