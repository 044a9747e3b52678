"""How far can any text-only end-of-turn model get on FTAD? Measurements behind the model card's limits.

    /usr/bin/python3 models/training/eot/ftad_analysis.py      # about 15 seconds; prints JSON

train.py runs the same measurements and puts them in models/eot/metrics.json and the model card.

FTAD's label says who took the floor next in overlapping telephone speech, not whether the words
were finished. This script measures, on the same split the model is scored on:

1. A strong text baseline: logistic regression over word n-grams of the utterance, its last
   words and the last words of each context IPU with its speaker. The regularization strength is
   chosen on FTAD dev (the last 10% of the valid split, as in train.py); the test split is scored
   once with the chosen value.
2. Label consistency for repeated utterances: for utterances that occur at least MIN_REPEAT times
   in the test split ("yeah", "uh-huh", "right"...), the best ROC-AUC any predictor that reads only
   the utterance (and the speaker of the last context IPU) could reach: its score for a group is
   the group's own positive rate on the test split itself, an in-sample oracle, so an upper bound.
3. Syntactic completeness against the label: how often utterances of three or more words that end
   on an article, a preposition or a conjunction (UNFINISHED_END) are
   labelled turn ends, and how often one-word acknowledgements are labelled not turn ends.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eot.data import Example, load_ftad, split_ftad_valid  # noqa: E402
from eot.heuristics import ngram_logreg_scores  # noqa: E402
from lib.common import data_root  # noqa: E402
from lib.metrics import roc_auc  # noqa: E402

MIN_REPEAT = 5
# Words an English sentence essentially never ends on (articles, most prepositions, coordinating
# conjunctions); stricter than the heuristic's list, which also holds words like "so" or "that".
UNFINISHED_END = {"the", "a", "an", "and", "but", "or", "of", "to", "with", "for", "from", "because", "if", "my", "your"}
ACKNOWLEDGEMENTS = {"yeah", "uh-huh", "um-hum", "right", "okay", "yes", "sure", "oh", "huh-uh", "exactly"}
SEED = 1234


def repeated_utterance_oracle(test: list[Example]) -> dict:
    counts = Counter(e.utterance for e in test)
    rows = [e for e in test if counts[e.utterance] >= MIN_REPEAT]

    def oracle(key) -> dict:
        groups: dict = defaultdict(list)
        for e in test:
            groups[key(e)].append(e.label)
        labels = np.array([e.label for e in rows])
        scores = np.array([np.mean(groups[key(e)]) for e in rows])
        return {
            "rows": len(rows),
            "share_of_test": round(len(rows) / len(test), 4),
            "oracle_roc_auc_on_repeated": round(roc_auc(labels, scores), 4),
        }

    last_role = lambda e: e.context[-1][0] if e.context else "none"  # noqa: E731
    return {
        "utterance_only": oracle(lambda e: e.utterance),
        "utterance_and_last_speaker": oracle(lambda e: (e.utterance, last_role(e))),
    }


def completeness_vs_label(test: list[Example]) -> dict:
    unfinished = [e for e in test if len(e.utterance.split()) >= 3 and e.utterance.split()[-1] in UNFINISHED_END]
    acks = [e for e in test if e.utterance in ACKNOWLEDGEMENTS]
    return {
        "unfinished_3plus_words": {
            "rows": len(unfinished),
            "labelled_turn_end": round(float(np.mean([e.label for e in unfinished])), 4),
        },
        "one_word_acknowledgement": {
            "rows": len(acks),
            "labelled_not_turn_end": round(1 - float(np.mean([e.label for e in acks])), 4),
        },
    }


def label_audit(test: list[Example]) -> dict:
    """The label measurements train.py also writes into metrics.json (`ftad_label_audit`)."""
    return {"repeated_utterances": repeated_utterance_oracle(test), "completeness_vs_label": completeness_vs_label(test)}


def analyse(train: list[Example], dev: list[Example], test: list[Example], seed: int) -> dict:
    scores, choice = ngram_logreg_scores(train, dev, test, seed)
    return {
        "ftad_test_rows": len(test),
        "ngram_logistic_regression": {**choice, "test_roc_auc": round(roc_auc(np.array([e.label for e in test]), scores), 4)},
        **label_audit(test),
    }


def main() -> None:
    root = data_root()
    train, dev = split_ftad_valid(load_ftad(root, "valid"))
    print(json.dumps(analyse(train, dev, load_ftad(root, "test"), SEED), indent=1))


if __name__ == "__main__":
    main()
