"""What the recognizer learns to write: conversational sentences from the dialogue corpora,
spelled out as they are spoken (digits, times and amounts in words), in the recognizer's
alphabet (lowercase letters, apostrophe, space).

The synthesizers read the spoken form too, so the audio and its label always agree.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lib.textnorm import clean_switchboard, normalize_asr

# CTC output symbols: 0 is the blank; the word separator is a space.
ALPHABET = " abcdefghijklmnopqrstuvwxyz'"
BLANK = 0
VOCAB = ["<blank>"] + list(ALPHABET)

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def number_words(n: int) -> str:
    """0 <= n < 1,000,000 in words ("three hundred twelve")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = n % 1000
    return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _year_or_number(s: str) -> str:
    n = int(s)
    if len(s) == 4 and 1900 <= n <= 2099 and n % 100 != 0 and not 2000 <= n <= 2009:
        return number_words(n // 100) + " " + (number_words(n % 100) if n % 100 >= 10 else "oh " + _ONES[n % 100])
    if len(s) > 6:
        return " ".join(_ONES[int(d)] for d in s)  # phone numbers, ids: digit by digit
    return number_words(n)


_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?", re.I)
_MONEY = re.compile(r"\$(\d+)(?:\.(\d{2}))?")
_PERCENT = re.compile(r"(\d+)\s*%")
_ORD = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.I)
_DECIMAL = re.compile(r"\b(\d+)\.(\d+)\b")
_INT = re.compile(r"\d+")


def _time(m: re.Match) -> str:
    h, mm, ampm = int(m.group(1)), int(m.group(2)), m.group(3)
    spoken = number_words(h) + ("" if mm == 0 else (" oh " + _ONES[mm] if mm < 10 else " " + number_words(mm)))
    if ampm:
        spoken += " " + ("a m" if ampm.lower().startswith("a") else "p m")
    return " " + spoken + " "


def _money(m: re.Match) -> str:
    dollars = int(m.group(1))
    out = number_words(dollars) + (" dollar" if dollars == 1 else " dollars")
    if m.group(2) and int(m.group(2)):
        out += " " + number_words(int(m.group(2))) + " cents"
    return " " + out + " "


def expand_numbers(text: str) -> str:
    """Times, amounts, percentages, ordinals and numbers written out in words; the rest untouched."""
    t = _TIME.sub(_time, text)
    t = _MONEY.sub(_money, t)
    t = _PERCENT.sub(lambda m: f" {number_words(int(m.group(1)))} percent ", t)
    t = _ORD.sub(lambda m: f" {ordinal_words(int(m.group(1)))} ", t)
    t = _DECIMAL.sub(lambda m: f" {_year_or_number(m.group(1))} point {' '.join(_ONES[int(d)] for d in m.group(2))} ", t)
    t = _INT.sub(lambda m: f" {_year_or_number(m.group(0))} ", t)
    return t.replace("&", " and ")


def spoken_form(text: str) -> str:
    """Written text -> what a speaker says, in the recognizer's alphabet ('' if it cannot be said plainly)."""
    t = normalize_asr(expand_numbers(text))
    return t if t and all(ch in ALPHABET for ch in t) else ""


def encode(text: str) -> list[int]:
    return [ALPHABET.index(ch) + 1 for ch in text]


def decode(ids: list[int]) -> str:
    return "".join(ALPHABET[i - 1] for i in ids if i != BLANK)


def _split(key: str) -> str:
    """Stable split by dialogue: ~5% of dialogues are held out for test, ~2% for validation."""
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < 5 else "valid" if h < 7 else "train"


def corpus_sentences(data_root: Path, min_words: int = 1, max_words: int = 24) -> dict[str, list[str]]:
    """Spoken-form sentences from SGD, Topical-Chat and Switchboard, split by dialogue, deduplicated."""
    out: dict[str, list[str]] = {"train": [], "valid": [], "test": []}
    seen: set[str] = set()

    def add(key: str, raw: str, switchboard: bool = False) -> None:
        text = spoken_form(clean_switchboard(raw) if switchboard else raw)
        n = len(text.split())
        if min_words <= n <= max_words and text not in seen:
            seen.add(text)
            out[_split(key)].append(text)

    for name in ("sgd/sgd_dialogues.txt", "topical-chat"):
        path = data_root / "text" / name
        files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        for f in files:
            dialogue = 0
            for line in f.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    dialogue += 1
                    continue
                _, _, text = line.partition("\t")
                for sentence in re.split(r"(?<=[.!?])\s+", text):
                    add(f"{f.name}:{dialogue}", sentence)
    swda = data_root / "text" / "swda"
    for f in sorted(p for sub in ("train", "val", "test") for p in (swda / sub).glob("*.txt")):
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("|")
            if len(parts) >= 2:
                add(f"swda:{f.stem}", parts[1], switchboard=True)
    return out
