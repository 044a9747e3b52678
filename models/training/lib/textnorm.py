"""Text normalization that makes written text look like ASR output.

`normalize_asr` has an exact TypeScript twin in server/turn-taking/eot-text.ts;
parity fixtures (models/eot/parity.json) pin the two together, so change both or neither.
Rules: NFKC, lowercase, typographic apostrophes -> ', every character that is
not a letter, digit or apostrophe becomes a space, apostrophes are kept only
inside a word ("don't", not "'cause" or "dogs'"), whitespace collapsed.
"""
from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"}


def _keep(ch: str) -> bool:
    if ch == "'":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "N")


def normalize_asr(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(_APOSTROPHES.get(ch, ch) for ch in text)
    text = "".join(ch if _keep(ch) else " " for ch in text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


# Switchboard (FTAD / MS-State style) transcription marks, cleaned before normalize_asr.
_ASIDE = re.compile(r"<[be]_aside>")
_NOISE = re.compile(r"\[(?:laughter|noise|vocalized-noise|silence)\]", re.I)
_LAUGH_WORD = re.compile(r"\[laughter-([^\]]+)\]", re.I)
_MISPRON = re.compile(r"\[([^\]/]*)/([^\]]*)\]")  # [said/meant] -> meant
_PARTIAL_END = re.compile(r"(\w*)\[[^\]]*\]-")  # "lis[ten]-" -> "lis" (the part actually spoken)
_PARTIAL_START = re.compile(r"-\[[^\]]*\](\w*)")  # "-[th]at" -> "at"
_CURLY = re.compile(r"\{([^}]*)\}")  # {coinage} -> coinage
_INDEX = re.compile(r"_\d+\b")  # "them_1" -> "them"
_BRACKETS = re.compile(r"\[[^\]]*\]")


def clean_switchboard(text: str) -> str:
    """Strip Switchboard transcription marks so the text reads like a recognizer's output."""
    t = _ASIDE.sub(" ", text)
    t = _NOISE.sub(" ", t)
    t = _LAUGH_WORD.sub(r"\1", t)
    t = _MISPRON.sub(r"\2", t)
    t = _PARTIAL_END.sub(r"\1", t)
    t = _PARTIAL_START.sub(r"\1", t)
    t = _CURLY.sub(r"\1", t)
    t = _INDEX.sub("", t)
    t = _BRACKETS.sub(" ", t)
    return normalize_asr(t)
