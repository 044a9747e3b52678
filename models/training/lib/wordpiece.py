"""A WordPiece tokenizer written without the `tokenizers` library (not packaged in Debian).

`build_vocab` learns a vocabulary from word counts; `WordPiece.encode` is the
same greedy longest-match-first algorithm as Hugging Face tokenizers (Rust)
and @huggingface/tokenizers (JS); `write_tokenizer_json` saves it in the
standard tokenizer.json format (normalizer NFKC + Lowercase, pre-tokenizer
WhitespaceSplit, model WordPiece). The JS side is checked token for token
against this encoder by the parity fixtures.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

PREFIX = "##"
MAX_CHARS = 100


def build_vocab(
    word_counts: Counter,
    specials: list[str],
    size: int,
    min_char_count: int = 5,
    suffix_share: float = 0.15,
) -> list[str]:
    """Specials, then single characters (plain and ##), then whole words by frequency, and a share of
    the budget for frequent ##suffixes of the words left out, so unseen words split into pieces
    instead of collapsing to [UNK]."""
    vocab: list[str] = list(specials)
    seen = set(vocab)

    def add(tok: str) -> None:
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)

    chars: Counter = Counter()
    for w, c in word_counts.items():
        for ch in w:
            chars[ch] += c
    for ch, c in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
        if c >= min_char_count:
            add(ch)
            add(PREFIX + ch)

    budget = size - len(vocab)
    n_suffix = int(budget * suffix_share)
    ranked = sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [w for w, _ in ranked[: budget - n_suffix]]
    for w in words:
        add(w)
    rest = ranked[budget - n_suffix :]
    suffixes: Counter = Counter()
    for w, c in rest:
        for k in range(1, len(w) - 1):
            suf = w[k:]
            if 2 <= len(suf) <= 8:
                suffixes[suf] += c
    for suf, _ in sorted(suffixes.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= size:
            break
        add(PREFIX + suf)
    return vocab[:size]


class WordPiece:
    def __init__(self, vocab: list[str], unk: str = "[UNK]"):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.unk = unk
        self.unk_id = self.ids[unk]

    def tokenize_word(self, word: str) -> list[str]:
        chars = list(word)
        if len(chars) > MAX_CHARS:
            return [self.unk]
        out: list[str] = []
        start = 0
        while start < len(chars):
            end = len(chars)
            cur = None
            while start < end:
                sub = "".join(chars[start:end])
                if start > 0:
                    sub = PREFIX + sub
                if sub in self.ids:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                return [self.unk]
            out.append(cur)
            start = end
        return out

    def encode(self, normalized_text: str) -> list[int]:
        """Ids of already-normalized text (whitespace split, then WordPiece), no special tokens."""
        ids: list[int] = []
        for w in normalized_text.split():
            ids.extend(self.ids[t] for t in self.tokenize_word(w))
        return ids


def write_tokenizer_json(path: Path, vocab: list[str], specials: list[str], unk: str = "[UNK]") -> None:
    added = [
        {
            "id": vocab.index(s),
            "content": s,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for s in specials
    ]
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": PREFIX, "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": unk,
            "continuing_subword_prefix": PREFIX,
            "max_input_chars_per_word": MAX_CHARS,
            "vocab": {t: i for i, t in enumerate(vocab)},
        },
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
