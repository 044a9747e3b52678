"""Known-answer tests for the recognizer's training-speech helpers (needs espeak-ng and sox,
which CI installs; skipped with a message where they are missing).

    /usr/bin/python3 -m unittest discover -s models/training/tests -v
"""
from __future__ import annotations

import shutil
import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.synth import Prosody, mix_at_snr, set_level, speak, speech_power  # noqa: E402


class Mixing(unittest.TestCase):
    def test_noise_is_mixed_at_the_requested_snr_against_the_speech(self):
        rng = np.random.default_rng(0)
        t = np.arange(16000) / 16000
        speech = np.concatenate([np.zeros(8000), 0.3 * np.sin(2 * np.pi * 220 * t), np.zeros(8000)]).astype(np.float32)
        noise = rng.normal(0, 0.1, 5000).astype(np.float32)  # shorter than the speech: looped
        for snr in (0.0, 10.0, 20.0):
            mixed = mix_at_snr(speech, noise, snr, np.random.default_rng(1))
            added = mixed - speech
            measured = 10 * np.log10(speech_power(speech) / np.mean(added**2))
            self.assertAlmostEqual(measured, snr, delta=0.3)
            self.assertEqual(len(mixed), len(speech))

    def test_level_sets_speech_power_in_dbfs(self):
        x = (0.01 * np.sin(np.arange(32000) / 5)).astype(np.float32)
        y = set_level(x, -20.0)
        self.assertAlmostEqual(10 * np.log10(speech_power(y)), -20.0, delta=0.1)


@unittest.skipUnless(shutil.which("espeak-ng") and shutil.which("sox"), "espeak-ng or sox not installed")
class Speaking(unittest.TestCase):
    def test_a_training_voice_speaks_at_16_khz_and_the_channel_options_apply(self):
        plain = speak("please book a table for two", "espeak-ng:en-us+f3")
        self.assertGreater(len(plain), 16000 * 0.8)
        self.assertGreater(float(np.abs(plain).max()), 0.05)
        slow = speak("please book a table for two", "espeak-ng:en-us+f3", Prosody(tempo=0.8))
        self.assertAlmostEqual(len(slow) / len(plain), 1 / 0.8, delta=0.08)
        phone = speak("please book a table for two", "espeak-ng:en-us+f3", Prosody(telephone=True))
        spectrum = np.abs(np.fft.rfft(phone))
        freqs = np.fft.rfftfreq(len(phone), 1 / 16000)
        # Band-limited to the telephone band: almost nothing above 4 kHz.
        self.assertLess(spectrum[freqs > 4200].sum() / spectrum.sum(), 0.01)

    @unittest.skipUnless(shutil.which("flite"), "flite not installed")
    def test_an_8_khz_voice_pitched_down_still_passes_the_telephone_band(self):
        # Regression: sox's pitch resamples, and at flite kal's 8 kHz that put the band edge over Nyquist.
        x = speak("hello there", "flite:kal", Prosody(telephone=True, pitch_cents=-300, tempo=0.95))
        self.assertGreater(len(x), 8000)

    def test_evaluation_voices_are_refused_before_anything_is_synthesized(self):
        with self.assertRaises(ValueError):
            speak("hello", "espeak-ng:en-gb-scotland")
        with self.assertRaises(ValueError):
            speak("hello", "flite:slt")


if __name__ == "__main__":
    unittest.main()
