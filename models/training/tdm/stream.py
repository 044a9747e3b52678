"""The TDM stream's tokens and how a slice is written (docs/tdm.md explains each choice).

Twin of server/duplex-llm/tdm-stream.ts: the special tokens, their order in the vocabulary and
the assistant-text normalization must match (the parity fixture models/tdm/parity.json pins
them together), so change both or neither.

One slice, as tokens:  <u> user words [<vad>] [<bi>] [<done>] [<eotN>] <a> decision
  decision = <idle> | <cont> | <stop> | assistant words [<eos>]
A slice of assistant words ends where the model writes the next <u> (it says "nothing more
this slice"); every other decision is one token and ends the slice by itself.
"""
from __future__ import annotations

import re
import unicodedata

from lib.textnorm import normalize_asr

PAD, UNK = "[PAD]", "[UNK]"
USER, ASSISTANT = "<u>", "<a>"
# Signals the session writes into the user slice.
VAD = "<vad>"  # the caller's voice (or noise) was active in this slice and no word was recognized in it
BARGE_IN = "<bi>"  # the caller started speaking over banter; the session paused banter's audio
DONE = "<done>"  # banter's reply finished playing: the caller heard all of it
EOT_BUCKETS = 5
EOTS = [f"<eot{i}>" for i in range(EOT_BUCKETS)]  # the caller fell silent; end-of-turn probability bucket
# Decisions the model writes into the assistant slice.
IDLE = "<idle>"  # say nothing (or, while paused by a barge-in, stay paused)
CONT = "<cont>"  # keep speaking (or resume after a barge-in), nothing new to write
STOP = "<stop>"  # abandon the reply: the caller really interrupted
EOS = "<eos>"  # the reply's text is complete (follows its last words)

SPECIALS = [PAD, UNK, USER, ASSISTANT, VAD, BARGE_IN, DONE, *EOTS, IDLE, CONT, STOP, EOS]
ONE_TOKEN_DECISIONS = (IDLE, CONT, STOP)
PUNCTUATION = (".", ",", "?", "!")


def eot_bucket(probability: float) -> str:
    i = min(EOT_BUCKETS - 1, max(0, int(probability * EOT_BUCKETS)))
    return EOTS[i]


_PUNCT_RUN = re.compile(r"([.,?!])[.,?!]*")


def normalize_assistant(text: str) -> str:
    """Assistant text as banter writes it for its TTS: lower case, words as normalize_asr keeps
    them, and sentence punctuation (. , ? !) kept as separate words so the voice can phrase it.
    Hyphens and colons inside numbers and names become spaces ("408-247" -> "408 247")."""
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for chunk in _PUNCT_RUN.split(text):
        if chunk in PUNCTUATION:
            if out and out[-1] not in PUNCTUATION:
                out.append(chunk)
            continue
        # "11:30" and "3.5" keep their digits together: punctuation between digits is not a sentence mark
        words = normalize_asr(chunk)
        if words:
            out.extend(words.split())
    return " ".join(out)


_DIGIT_PUNCT = re.compile(r"(?<=\d)[.,:](?=\d)")


def prepare_assistant(text: str) -> str:
    """normalize_assistant after joining digit groups ("11:30" -> "11 30", "3.5" -> "3 5")."""
    return normalize_assistant(_DIGIT_PUNCT.sub(" ", text))


def decide(logits, vocab: list[str]) -> int:
    """Greedy decoding at the level of decisions (twin of decideGreedy in
    server/duplex-llm/tdm-stream.ts): the probability of writing words is the sum over every
    word piece, so it is compared as one class with <idle>, <cont>, <stop>, <eos> and <u> (end of
    the slice); plain argmax would pick <cont> whenever the words' mass is spread over many
    pieces. Within the words class, the most likely piece."""
    import torch

    classes = _decision_ids(vocab)
    logp = torch.log_softmax(logits.float(), dim=-1)
    text_mask = classes["text_mask"]
    best, best_lp = None, -float("inf")
    for tok in (IDLE, CONT, STOP, EOS, USER):
        lp = float(logp[classes[tok]])
        if lp > best_lp:
            best, best_lp = classes[tok], lp
    text_lp = float(torch.logsumexp(logp[text_mask], dim=0))
    if text_lp > best_lp:
        masked = logp.masked_fill(~text_mask, -float("inf"))
        return int(masked.argmax())
    return int(best)


_CACHE: dict = {}


def _decision_ids(vocab: list[str]) -> dict:
    import torch

    key = id(vocab)
    if key not in _CACHE:
        ids = {t: vocab.index(t) for t in SPECIALS}
        mask = torch.ones(len(vocab), dtype=torch.bool)
        mask[[ids[t] for t in SPECIALS]] = False
        _CACHE[key] = {**ids, "text_mask": mask}
    return _CACHE[key]
