"""End-of-turn data: FTAD turn-taking labels plus complete-vs-truncated turns from three corpora.

Every example is (context turns, current utterance, label, source), with all text
normalized like ASR output. Label 1 = the turn is complete.

Splits (whole dialogues, never lines, are held out):
- FTAD eot.txt: the valid split trains (its last 10% of rows, a contiguous
  block, is the dev set); the test split is only ever evaluated.
- SGD, Topical-Chat: dialogue index % 10 == 0 -> held-out test, == 1 -> dev, else train.
- Switchboard (SwDA): its own train / val / test conversation splits.
FTAD is cut from the same Switchboard conversations as SwDA (and FTAD valid and
test share conversations with each other), so SwDA turns are decontaminated:
training turns sharing any 6-gram with FTAD test are dropped, and held-out
turns sharing any 6-gram with FTAD valid (the training split) are dropped.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lib.textnorm import clean_switchboard, normalize_asr

USER, AGENT = "user", "agent"
MAX_CONTEXT_TURNS = 2
NGRAM = 6


@dataclass
class Example:
    context: list[tuple[str, str]]  # (role, normalized text), oldest first
    utterance: str  # normalized
    label: int
    source: str
    raw: str = ""  # unnormalized utterance, for the punctuation heuristic
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- FTAD


def load_ftad(root: Path, split: str) -> list[Example]:
    out: list[Example] = []
    for line in (root / "text" / "ftad" / split / "eot.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        ctx_raw, utt, label = parts
        context: list[tuple[str, str]] = []
        if ctx_raw != "EMPTY":
            for seg in ctx_raw.split("|"):
                role, _, text = seg.partition(":")
                text = clean_switchboard(text)
                if text:
                    context.append((USER if role == "user" else AGENT, text))
        out.append(Example(context, clean_switchboard(utt), int(label), f"ftad-{split}", raw=utt))
    return out


def split_ftad_valid(valid: list[Example]) -> tuple[list[Example], list[Example]]:
    """FTAD's valid split trains; its last 10% of rows (a contiguous block) is the dev set."""
    n_dev = len(valid) // 10
    return valid[:-n_dev], valid[-n_dev:]


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    w = text.split()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def ftad_ngrams(examples: list[Example]) -> set[tuple[str, ...]]:
    g: set[tuple[str, ...]] = set()
    for ex in examples:
        g |= ngrams(ex.utterance)
        for _, t in ex.context:
            g |= ngrams(t)
    return g


# ---------------------------------------------------------------- dialogue corpora -> turns

Turn = tuple[str, str]  # (speaker id, raw text)


def load_sgd(root: Path) -> list[list[Turn]]:
    dialogues: list[list[Turn]] = [[]]
    for line in (root / "text" / "sgd" / "sgd_dialogues.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if dialogues[-1]:
                dialogues.append([])
            continue
        spk, _, text = line.partition("\t")
        dialogues[-1].append((spk, text))
    return [d for d in dialogues if d]


def load_topical(root: Path) -> list[list[Turn]]:
    dialogues: list[list[Turn]] = [[]]
    for line in (root / "text" / "topical-chat" / "topicalchat_valtest.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if dialogues[-1]:
                dialogues.append([])
            continue
        spk, tab, text = line.partition("\t")
        if tab and spk.startswith("agent_"):
            dialogues[-1].append((spk, text))
        elif dialogues[-1]:  # a wrapped line continues the previous turn
            s, t = dialogues[-1][-1]
            dialogues[-1][-1] = (s, t + " " + line.strip())
    return [d for d in dialogues if d]


def load_swda(root: Path, split: str) -> list[list[Turn]]:
    """Turns = runs of one speaker's segments; the other speaker's backchannels ('b' acts) inside a
    run do not end it (they are not turns), so a turn is not cut at every "uh-huh". A turn whose
    last segment is abandoned ('%' act: "I.", "Uh, our,") loses its final period: it is not complete."""
    out = []
    folder = root / "text" / "swda" / split
    for f in sorted(folder.iterdir()):
        turns: list[Turn] = []
        last_act: list[str] = []
        for line in f.read_text(encoding="utf-8").splitlines():
            parts = line.split("|")
            if len(parts) < 3:
                continue
            spk, text, act = parts[0], parts[1], parts[2]
            if act == "b" and turns and turns[-1][0] != spk:
                continue
            if turns and turns[-1][0] == spk:
                turns[-1] = (spk, turns[-1][1] + " " + text)
                last_act[-1] = act
            else:
                turns.append((spk, text))
                last_act.append(act)
        out.append([(s, _TERMINAL.sub("", t.rstrip()) if a == "%" else t) for (s, t), a in zip(turns, last_act)])
    return out


_TERMINAL = re.compile(r"[.?!][\"')\]]*$")
# A cut after the first word ("Yes," of "Yes, book it.") would otherwise make one-word answers look
# unfinished: every long turn that opens with "yes" adds a negative, only a bare "Yes." a positive.
# Speakers rarely pause right there, so such cuts are drawn at a quarter of the weight.
FIRST_WORD_CUT_WEIGHT = 0.25
# Speakers hold the floor with fillers; written corpora have almost none (SwDA aside).
FILLER_RATE = 0.1
FILLERS = ("uh", "um")
MIN_COMPLETE_COUNT = 5


def is_complete(raw: str, norm: str) -> bool:
    """A finished turn: ends a sentence, and not on a filler ("Um." in SwDA is a turn given up)."""
    return bool(_TERMINAL.search(raw.strip())) and norm.split()[-1] not in FILLERS


def truncation_examples(
    dialogues: list[list[Turn]],
    source: str,
    rng: random.Random,
    user_speakers: set[str] | None = None,
    skip: set[tuple[str, ...]] | None = None,
    max_turns: int | None = None,
    complete: set[str] | None = None,
) -> list[Example]:
    """Per turn: the complete turn (label 1, only if it ends in . ? or !) and one prefix cut at a
    random word that does not end a sentence (label 0; cuts after the first word down-weighted,
    10% of prefixes end in an added "uh"/"um"). A prefix that is itself a complete turn somewhere
    in the training corpora (`complete`: "no thanks" of "No thanks, that's all.") is not a reliable
    negative and is dropped. Context = up to two previous turns."""
    out: list[Example] = []
    for d in dialogues:
        for i, (spk, raw) in enumerate(d):
            if user_speakers is not None and spk not in user_speakers:
                continue
            norm = normalize_asr(raw)
            if not norm:
                continue
            if skip and ngrams(norm) & skip:
                continue
            context = []
            for pspk, praw in d[max(0, i - MAX_CONTEXT_TURNS) : i]:
                t = normalize_asr(praw)
                if t:
                    context.append((USER if pspk == spk else AGENT, t))
            toks = raw.split()
            if is_complete(raw, norm):
                out.append(Example(list(context), norm, 1, source, raw=raw))
            cuts = [j for j in range(len(toks) - 1) if not _TERMINAL.search(toks[j])]
            if cuts:
                weights = [FIRST_WORD_CUT_WEIGHT if j == 0 else 1.0 for j in cuts]
                j = rng.choices(cuts, weights)[0]
                prefix_raw = " ".join(toks[: j + 1])
                if complete is not None and normalize_asr(prefix_raw) in complete:
                    continue
                if rng.random() < FILLER_RATE:
                    prefix_raw += " " + rng.choice(FILLERS)
                prefix = normalize_asr(prefix_raw)
                if prefix:
                    out.append(Example(list(context), prefix, 0, source, raw=prefix_raw))
    rng.shuffle(out)
    if max_turns is not None:
        out = out[:max_turns]
    return out


def complete_turns(dialogues: list[list[Turn]], user_speakers: set[str] | None, skip: set | None) -> Counter:
    """Counts of the normalized text of turns that end a sentence: what a finished turn looks like."""
    out: Counter = Counter()
    for d in dialogues:
        for spk, raw in d:
            if user_speakers is not None and spk not in user_speakers:
                continue
            norm = normalize_asr(raw)
            if norm and is_complete(raw, norm):
                if not (skip and ngrams(norm) & skip):
                    out[norm] += 1
    return out


def split_by_index(dialogues: list, part: str) -> list:
    keep = {"test": (0,), "dev": (1,), "train": tuple(range(2, 10))}[part]
    return [d for i, d in enumerate(dialogues) if i % 10 in keep]


@dataclass
class EotData:
    ftad_train: list[Example]
    ftad_dev: list[Example]
    ftad_test: list[Example]
    trunc_train: list[Example]
    trunc_dev: list[Example]
    trunc_test: list[Example]


def build(root: Path, seed: int, trunc_train_cap: int, trunc_eval_cap: int) -> EotData:
    rng = random.Random(seed)
    ftad_valid = load_ftad(root, "valid")
    ftad_test = load_ftad(root, "test")
    ftad_train, ftad_dev = split_ftad_valid(ftad_valid)
    test_grams = ftad_ngrams(ftad_test)
    train_grams = ftad_ngrams(ftad_valid)

    sgd = load_sgd(root)
    tc = load_topical(root)
    sgd_user = {"USER"}
    # From training dialogues only, and applied to every split so the label means the same everywhere.
    # At least 5 turns, so a stray "And." does not make every cut after "and" a non-negative.
    counts = (
        complete_turns(split_by_index(sgd, "train"), sgd_user, None)
        + complete_turns(split_by_index(tc, "train"), None, None)
        + complete_turns(load_swda(root, "train"), None, test_grams)
    )
    complete = {t for t, c in counts.items() if c >= MIN_COMPLETE_COUNT}

    def part(p: str, cap: int | None) -> list[Example]:
        skip = test_grams if p == "train" else train_grams
        sw_split = {"train": "train", "dev": "val", "test": "test"}[p]
        per = None if cap is None else cap // 3
        ex = (
            truncation_examples(split_by_index(sgd, p), "sgd", rng, sgd_user, max_turns=per, complete=complete)
            + truncation_examples(split_by_index(tc, p), "topical-chat", rng, max_turns=per, complete=complete)
            + truncation_examples(
                load_swda(root, sw_split), "switchboard", rng, skip=skip, max_turns=per, complete=complete
            )
        )
        rng.shuffle(ex)
        return ex

    return EotData(
        ftad_train=ftad_train,
        ftad_dev=ftad_dev,
        ftad_test=ftad_test,
        trunc_train=part("train", trunc_train_cap),
        trunc_dev=part("dev", trunc_eval_cap),
        trunc_test=part("test", trunc_eval_cap),
    )
