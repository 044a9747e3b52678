"""Who the speaker encoder learns from and who it is tested on (../shared/design/ARCHITECTURE.md,
"Who speaks with which voice").

Training: LibriSpeech train-clean-100 (251 real speakers, one clip each) minus a dev set of
20 speakers used to watch training; FSDD speakers except the held-out two; the synthetic
training voices of asr/voices.py (espeak-ng accents and variants except en-029 and
en-gb-scotland, flite kal16 and awb, festival kal). Test: LibriSpeech test-other (10 real
speakers, never trained on or selected on) and FSDD theo + yweweler. The evaluation
harness's callers and distractors (flite rms, festival ked, espeak-ng en-gb-scotland,
test-other) stay out, so the pVAD is scored on voices it never heard.
"""
from __future__ import annotations

FSDD_HELD_OUT = ("theo", "yweweler")
LIBRI_DEV_COUNT = 20  # the first speakers by id order (a fixed, seed-free choice)
FLITE_FESTIVAL = ("flite:kal16", "flite:awb", "festival:kal_diphone")


def libri_split(speakers: list[str]) -> tuple[list[str], list[str]]:
    """(train, dev) speaker ids: dev is the first LIBRI_DEV_COUNT in sorted order."""
    ordered = sorted(speakers, key=int)
    return ordered[LIBRI_DEV_COUNT:], ordered[:LIBRI_DEV_COUNT]


def fsdd_split(speakers: list[str]) -> tuple[list[str], list[str]]:
    train = sorted(s for s in speakers if s not in FSDD_HELD_OUT)
    test = sorted(s for s in speakers if s in FSDD_HELD_OUT)
    return train, test
