"""Baselines measured in the same run as the model (same examples, same normalized text)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from eot.data import Example

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


# Inverse L2 strengths tried for the n-gram baseline; the one with the best dev ROC-AUC is used.
LOGREG_C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def _ngram_texts(examples: list[Example]) -> tuple[list[str], list[str], list[str]]:
    """Three texts per example: the utterance (for word 1-3-grams), its edge words and length, and
    the last words of each context turn tagged with its position and speaker."""
    utt, edges, ctx = [], [], []
    for e in examples:
        w = e.utterance.split()
        utt.append(e.utterance)
        edges.append(
            " ".join(f"E_{x}" for x in w[-3:]) + f" L_{w[-1] if w else 'NONE'} F_{w[0] if w else 'NONE'} N_{min(len(w), 12)}"
        )
        parts = []
        for i, (role, text) in enumerate(reversed(e.context)):
            t = text.split()
            parts.append(f"R{i}_{role} " + " ".join(f"C{i}_{x}" for x in t[-4:]) + f" C{i}N_{min(len(t), 12)}")
        ctx.append(" ".join(parts) or "NOCTX")
    return utt, edges, ctx


def ngram_logreg_scores(
    train: list[Example], dev: list[Example], test: list[Example], seed: int
) -> tuple[np.ndarray, dict]:
    """A strong text-only baseline: logistic regression over TF-IDF word n-grams of the utterance,
    its edge words and the context. C is chosen on `dev`; returns P(complete) for `test` and the
    choice made. scikit-learn is imported here so the rest of training does not need it."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from lib.metrics import roc_auc

    vecs = [
        TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True),
        TfidfVectorizer(token_pattern=r"\S+", min_df=2),
        TfidfVectorizer(token_pattern=r"\S+", min_df=2),
    ]
    x_train = hstack([v.fit_transform(c) for v, c in zip(vecs, _ngram_texts(train))]).tocsr()
    x_dev, x_test = (hstack([v.transform(c) for v, c in zip(vecs, _ngram_texts(ex))]).tocsr() for ex in (dev, test))
    y_train = np.array([e.label for e in train])
    y_dev = np.array([e.label for e in dev])

    def fit(c: float):
        return LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(x_train, y_train)

    dev_auc = {c: roc_auc(y_dev, fit(c).predict_proba(x_dev)[:, 1]) for c in LOGREG_C_GRID}
    best_c = max(dev_auc, key=dev_auc.get)
    scores = fit(best_c).predict_proba(x_test)[:, 1]
    return scores, {"chosen_C": best_c, "dev_roc_auc_by_C": {str(c): round(a, 4) for c, a in dev_auc.items()}}
