"""Builds the recognizer's word bigram language model (ARPA, gzipped) from the training sentences.

    /usr/bin/python3 models/training/asr/build_lm.py [--out models/asr/lm.arpa.gz]

Text: the train split of asr/text.py (spoken form, deduplicated, split by dialogue: no test or
validation sentence is in it). Vocabulary: words seen at least --min-count times; the rest are
<unk>. Bigrams seen at least --min-bigram times are kept. Smoothing: interpolated Kneser-Ney
(discount 0.75), written in ARPA's backoff form, so any ARPA reader (KenLM, the server's
server/asr/ngram-lm.ts) computes the same probabilities. The output is deterministic.
"""
from __future__ import annotations

import argparse
import gzip
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.text import corpus_sentences  # noqa: E402
from lib.common import REPO_ROOT, data_root  # noqa: E402

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
DISCOUNT = 0.75


def build(sentences: list[str], min_count: int, min_bigram: int) -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], float]]:
    """Returns log10 unigram probabilities, log10 backoff weights and log10 bigram probabilities."""
    counts = Counter(w for s in sentences for w in s.split())
    vocab = {w for w, c in counts.items() if c >= min_count}
    bigrams: Counter[tuple[str, str]] = Counter()
    for s in sentences:
        words = [BOS] + [w if w in vocab else UNK for w in s.split()] + [EOS]
        bigrams.update(zip(words, words[1:]))
    # Kneser-Ney continuation counts: in how many distinct contexts each word follows.
    continuation = Counter(w2 for (_, w2) in bigrams)
    total_types = len(bigrams)
    words = sorted(vocab | {UNK, EOS})
    p_uni = {w: continuation[w] / total_types for w in words}
    # Mass for words never seen after anything (none here but <unk> when rare): a floor.
    floor = 0.5 / total_types
    p_uni = {w: max(p, floor) for w, p in p_uni.items()}
    z = sum(p_uni.values())
    p_uni = {w: p / z for w, p in p_uni.items()}

    by_context: dict[str, list[tuple[str, int]]] = defaultdict(list)
    context_total: Counter[str] = Counter()
    for (w1, w2), c in bigrams.items():
        context_total[w1] += c
        by_context[w1].append((w2, c))
    log_bigram: dict[tuple[str, str], float] = {}
    log_backoff: dict[str, float] = {}
    for w1 in sorted(by_context):
        followers = by_context[w1]
        n = context_total[w1]
        # Interpolation weight: the discounted mass, spread by the unigram (continuation) model.
        lam = DISCOUNT * len(followers) / n
        kept = [(w2, c) for w2, c in followers if c >= min_bigram]
        seen_p, seen_uni = 0.0, 0.0
        for w2, c in kept:
            p = max(c - DISCOUNT, 0) / n + lam * p_uni[w2]
            log_bigram[(w1, w2)] = math.log10(p)
            seen_p += p
            seen_uni += p_uni[w2]
        # ARPA backoff: what is left of the context's mass, renormalized over the unseen words.
        log_backoff[w1] = math.log10(max(1.0 - seen_p, 1e-12) / max(1.0 - seen_uni, 1e-12))
    log_uni = {w: math.log10(p) for w, p in p_uni.items()}
    log_uni[BOS] = -99.0  # never predicted; carries the sentence start's backoff
    return log_uni, log_backoff, log_bigram


def write_arpa(path: Path, log_uni: dict[str, float], log_backoff: dict[str, float], log_bigram: dict[tuple[str, str], float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # mtime 0: the same text gives the same bytes (the manifest pins its sha256).
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        out = []
        out.append("\\data\\")
        out.append(f"ngram 1={len(log_uni)}")
        out.append(f"ngram 2={len(log_bigram)}")
        out.append("")
        out.append("\\1-grams:")
        for w in sorted(log_uni):
            bo = log_backoff.get(w)
            out.append(f"{log_uni[w]:.4f}\t{w}" + (f"\t{bo:.4f}" if bo is not None else ""))
        out.append("")
        out.append("\\2-grams:")
        for (w1, w2) in sorted(log_bigram):
            out.append(f"{log_bigram[(w1, w2)]:.4f}\t{w1} {w2}")
        out.append("")
        out.append("\\end\\")
        gz.write(("\n".join(out) + "\n").encode("utf-8"))
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "asr" / "lm.arpa.gz")
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--min-bigram", type=int, default=2)
    args = ap.parse_args()
    sentences = corpus_sentences(data_root())["train"]
    log_uni, log_backoff, log_bigram = build(sentences, args.min_count, args.min_bigram)
    write_arpa(args.out, log_uni, log_backoff, log_bigram)
    print(f"{args.out}: {len(log_uni)} unigrams, {len(log_bigram)} bigrams from {len(sentences)} sentences, "
          f"{args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
