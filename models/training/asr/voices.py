"""Which voices the recognizer may learn from (../shared/design/ARCHITECTURE.md, voice plan).

The evaluation callers (flite rms, festival ked, espeak-ng en-gb-scotland variants), banter's
own TTS voice (flite slt, festival's slt HTS) and the ASR held-out test voices (espeak-ng
en-029 variants) are never trained on. The data builder asks `training_voice_problem` for
every voice it is given and refuses a forbidden one, so a wrong command line cannot leak an
evaluation voice into training.
"""
from __future__ import annotations

# espeak-ng English accents of Debian's build (gmw/*), minus the two the plan holds out.
ESPEAK_ACCENTS = ("en-gb", "en-us", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
# espeak-ng variants that still sound like speech (whisper, croak and the robots are left out).
ESPEAK_VARIANTS = (
    "", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4", "adam", "Alex", "Andy", "Annie", "david", "ed",
    "john", "linda", "max", "michel", "paul", "quincy", "rob", "robert", "steph", "travis",
)
FLITE_VOICES = ("kal16", "awb", "kal")
FESTIVAL_VOICES = ("kal_diphone",)

# Held-out voices for the recognizer's own test set (never trained on, never callers).
HELD_OUT_TEST_VOICES = ("espeak-ng:en-029", "espeak-ng:en-029+m3", "espeak-ng:en-029+f2", "flite:slt")


def training_voice_problem(voice: str) -> str | None:
    """Why `voice` ("engine:name[+variant]") may not be trained on, or None when it may."""
    engine, _, name = voice.partition(":")
    base = name.split("+", 1)[0].lower()
    if voice in ("flite:slt",) or (engine == "festival" and "slt" in base):
        return f"{voice} is banter's own TTS voice"
    if voice == "flite:rms" or (engine == "festival" and base.startswith("ked")):
        return f"{voice} is an evaluation caller voice"
    if engine == "espeak-ng" and base == "en-gb-scotland":
        return f"{voice} is an evaluation caller voice (en-gb-scotland)"
    if engine == "espeak-ng" and base == "en-029":
        return f"{voice} is held out for the recognizer's test set (en-029)"
    if engine == "espeak-ng":
        variant = name.split("+", 1)[1] if "+" in name else ""
        if base not in ESPEAK_ACCENTS:
            return f"{voice}: accent {base} is not in the training plan"
        return None if variant in ESPEAK_VARIANTS else f"{voice}: variant {variant} is not in the training plan"
    if engine == "flite":
        return None if name in FLITE_VOICES else f"{voice} is not a flite training voice"
    if engine == "festival":
        return None if name in FESTIVAL_VOICES else f"{voice} is not a festival training voice"
    if engine == "libri":
        return None  # LibriSpeech train-clean-100 speakers; the data builder only reads that folder
    return f"{voice}: unknown engine {engine!r}"


def training_voices() -> list[str]:
    """Every synthetic voice the plan allows, in a fixed order."""
    voices = [f"espeak-ng:{a}" + (f"+{v}" if v else "") for a in ESPEAK_ACCENTS for v in ESPEAK_VARIANTS]
    voices += [f"flite:{v}" for v in FLITE_VOICES] + [f"festival:{v}" for v in FESTIVAL_VOICES]
    for v in voices:
        assert training_voice_problem(v) is None, v
    return voices


def require_training_voice(voice: str) -> str:
    problem = training_voice_problem(voice)
    if problem:
        raise ValueError(f"refusing to train on {problem}")
    return voice
