"""TDM training data: the dialogue corpora, their splits, the tokenizer and token sequences.

Splits hold out whole dialogues: SGD and Topical-Chat by dialogue index (% 10 == 0 test,
== 1 dev, else train, as the end-of-turn model does), Switchboard by its own conversation splits.
Episodes are simulated again for every epoch with a new seed (new timing, pauses and
interruptions over the same training dialogues); held-out episodes use fixed seeds.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eot.data import load_sgd, load_swda, load_topical, split_by_index
from lib.textnorm import clean_switchboard, normalize_asr
from lib.wordpiece import WordPiece, build_vocab

from tdm.episodes import BACKCHANNELS_DEFAULT, DECISION_TEXT, Episode, Options, pair_turns, simulate
from tdm.stream import ASSISTANT, EOS, SPECIALS, UNK, USER, prepare_assistant

Pairs = list[tuple[str, str]]


@dataclass
class Corpus:
    name: str
    dialogues: dict[str, list[Pairs]]  # split -> dialogues as (user, assistant) pairs


def _swda_pairs(root: Path, split: str) -> list[Pairs]:
    out = []
    for d in load_swda(root, split):
        turns = [(spk, clean_switchboard(t)) for spk, t in d]
        turns = [(spk, t) for spk, t in turns if t]
        out.append(pair_turns(turns, "B"))
    return out


def load_corpora(root: Path) -> list[Corpus]:
    sgd = load_sgd(root)
    tc = load_topical(root)
    corpora = [
        Corpus("sgd", {p: [pair_turns(d, "SYSTEM") for d in split_by_index(sgd, p)] for p in ("train", "dev", "test")}),
        Corpus("topical-chat", {p: [pair_turns(d, "agent_2") for d in split_by_index(tc, p)] for p in ("train", "dev", "test")}),
        Corpus("switchboard", {p: _swda_pairs(root, s) for p, s in (("train", "train"), ("dev", "val"), ("test", "test"))}),
    ]
    for c in corpora:
        for p in c.dialogues:
            c.dialogues[p] = [d for d in c.dialogues[p] if d]
    return corpora


def swda_backchannels(root: Path, min_count: int = 20, top: int = 40) -> list[str]:
    """The caller's backchannels: the most frequent Switchboard 'b' (acknowledge) acts of the
    training conversations, as a recognizer would write them."""
    counts: Counter = Counter()
    for f in sorted((root / "text" / "swda" / "train").iterdir()):
        for line in f.read_text(encoding="utf-8").splitlines():
            parts = line.split("|")
            if len(parts) >= 3 and parts[2] == "b":
                t = clean_switchboard(parts[1])
                if t and len(t.split()) <= 3:
                    counts[t] += 1
    out = [t for t, c in counts.most_common(top) if c >= min_count]
    return out or list(BACKCHANNELS_DEFAULT)


def word_counts(corpora: list[Corpus]) -> Counter:
    counts: Counter = Counter()
    for c in corpora:
        for d in c.dialogues["train"]:
            for u, a in d:
                counts.update(normalize_asr(u).split())
                counts.update(prepare_assistant(a).split())
    return counts


def build_tokenizer(corpora: list[Corpus], size: int) -> WordPiece:
    vocab = build_vocab(word_counts(corpora), SPECIALS, size)
    return WordPiece(vocab, unk=UNK)


def episodes(
    corpora: list[Corpus], split: str, seed: int, opt: Options, vocab_words: list[str], backchannels: list[str],
    limit: int | None = None,
) -> list[Episode]:
    rng = random.Random(seed)
    out: list[Episode] = []
    for c in corpora:
        ds = c.dialogues[split]
        if limit is not None:
            ds = ds[:limit]
        for i, d in enumerate(ds):
            out.append(simulate(d, rng, opt, vocab_words, backchannels, source=c.name, dialogue=i))
    return out


@dataclass
class Encoded:
    ids: np.ndarray  # int32 token ids of the whole episode
    loss: np.ndarray  # weight of the token in the loss: 0 off banter's side, tag_weight at a tagged decision, else 1
    slice_at: np.ndarray  # index of each slice's <u>
    decision_at: np.ndarray  # index of each slice's first decision token (right after <a>)


def encode_episode(ep: Episode, wp: WordPiece, tag_weight: float = 1.0) -> Encoded:
    """The episode as one token stream. `tag_weight` weighs the decision token of every slice the
    simulator tagged with a behaviour (an interruption's first words, a backchannel, a mid-turn
    pause...): they are a few per cent of banter's tokens, and each one is a turn-taking moment
    the model must get right, where the thousands of untagged idle slices are easy."""
    ids: list[int] = []
    loss: list[float] = []
    slice_at: list[int] = []
    decision_at: list[int] = []
    tok = wp.ids
    prev_open = False  # the previous slice wrote words without <eos>: the model ends it by writing <u>
    for s in ep.slices:
        slice_at.append(len(ids))
        ids.append(tok[USER])
        loss.append(1 if prev_open else 0)
        user = wp.encode(" ".join(s.user_words))
        ids.extend(user + [tok[x] for x in s.signals] + [tok[ASSISTANT]])
        loss.extend([0] * (len(user) + len(s.signals) + 1))
        decision_at.append(len(ids))
        if s.decision == DECISION_TEXT:
            out = wp.encode(" ".join(s.text)) + ([tok[EOS]] if s.eos else [])
            prev_open = not s.eos
        else:
            out = [tok[s.decision]]
            prev_open = False
        ids.extend(out)
        loss.extend([tag_weight if s.tag else 1.0] + [1.0] * (len(out) - 1))
    return Encoded(
        np.asarray(ids, dtype=np.int32),
        np.asarray(loss, dtype=np.float32),
        np.asarray(slice_at, dtype=np.int64),
        np.asarray(decision_at, dtype=np.int64),
    )


def windows(encoded: list[Encoded], ctx: int, rng: np.random.Generator, stride_slices: int = 24):
    """Training windows of at most `ctx` tokens, each starting at a slice's <u> (as the engine's
    context does after it drops the oldest slices). Yields (ids, loss) arrays of length ctx + 1,
    padded with 0 / loss 0."""
    out = []
    for e in encoded:
        n = len(e.slice_at)
        first = int(rng.integers(0, stride_slices))
        for k in range(first if n > stride_slices else 0, n, stride_slices):
            st = int(e.slice_at[k])
            seg_ids = e.ids[st : st + ctx + 1]
            seg_loss = e.loss[st : st + ctx + 1].copy()
            if len(seg_ids) < 8:
                continue
            pad = ctx + 1 - len(seg_ids)
            out.append(
                (np.pad(seg_ids, (0, pad)).astype(np.int64), np.pad(seg_loss, (0, pad)).astype(np.float32))
            )
    return out
