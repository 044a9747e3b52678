"""Baselines measured in the same run as the model (same examples, same normalized text)."""
from __future__ import annotations

import re

import numpy as np

# Words after which an English utterance is almost never finished.
CONTINUATION = set(
    """
    and but or so because cause if then than that which who whose whom when where while whether
    the a an to of in on at for with from by about into onto over under as like
    my your his her their our its this these those
    is are was were be been being am
    i we they he she
    can could would should will shall might must may
    have has had do does did not
    very really just more most some any every no
    """.split()
)
FILLERS = {"uh", "um", "er", "ah", "erm", "hmm"}
_TERMINAL = re.compile(r"[.?!][\"')\]]*\s*$")


def last_word_score(normalized: str) -> float:
    """Graded score for ROC-AUC: ends on a filler or a continuation word -> unlikely complete."""
    words = normalized.split()
    if not words:
        return 0.5
    last = words[-1]
    if last in FILLERS:
        return 0.2
    if last in CONTINUATION:
        return 0.1
    return 0.9


def punctuation_last_word_score(raw: str, normalized: str) -> float:
    """Terminal punctuation in the raw text decides when present; otherwise the last word does."""
    if _TERMINAL.search(raw):
        return 1.0
    return last_word_score(normalized)


def majority_scores(train_labels: np.ndarray, n: int) -> np.ndarray:
    """Constant prediction of the training majority class (ROC-AUC is 0.5 by construction)."""
    return np.full(n, 1.0 if train_labels.mean() >= 0.5 else 0.0)
