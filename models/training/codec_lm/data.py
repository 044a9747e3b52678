"""The codec LM's data: the TTS sentences (codec/data.py) as phoneme ids, codec tokens and
per-frame word progress.

    /usr/bin/python3 models/training/codec_lm/data.py --codec models/training/runs/codec-25hz/final.pt [--limit N]

Writes runs/codec_lm/data/{train,test}.npz and vocab.json:
- phonemes: each sentence's words' espeak-ng phonemes (as the server's phonemizer wrote
  them), one id per IPA character, " " between words and the punctuation after a word as
  its own id; `word_starts` gives the index of each word's first phoneme;
- codes: the codec's tokens (K, T) of the sentence's audio, encoded by the same rounded
  weights the exported graphs hold (codec/export.py rounds to float16 before export);
- words: per frame, how many words have begun by the frame's centre (the word-progress
  target; frames before the first word are 0).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codec.data import DATA as TTS_DATA  # noqa: E402
from codec.export import load_codec  # noqa: E402
from lib.common import RUNS_ROOT  # noqa: E402
from lib.export import round_weights_fp16  # noqa: E402

OUT = RUNS_ROOT / "codec_lm" / "data"
SPECIALS = ["<pad>", "<unk>", " "]
PUNCT = [",", ".", "?", "!"]


def build_vocab(sentences: list[dict]) -> list[str]:
    chars = sorted({ch for s in sentences for w in s["words"] for ch in w["phonemes"]})
    return SPECIALS + PUNCT + [c for c in chars if c not in SPECIALS and c not in PUNCT]


def encode_phonemes(words: list[dict], vocab: dict[str, int]) -> tuple[list[int], list[int]]:
    """Phoneme ids of a sentence and the index of each word's first phoneme."""
    ids: list[int] = []
    starts: list[int] = []
    for i, w in enumerate(words):
        if i:
            ids.append(vocab[" "])
        starts.append(len(ids))
        ids.extend(vocab.get(ch, vocab["<unk>"]) for ch in w["phonemes"])
        if w["punct"]:
            ids.append(vocab[w["punct"]])
    return ids, starts


def words_begun(words: list[dict], frames: int, frame_s: float) -> list[int]:
    starts = [w["start"] for w in words]
    return [sum(1 for s in starts if s <= (t + 0.5) * frame_s) for t in range(frames)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codec", type=Path, required=True, help="the codec checkpoint the committed models/codec was exported from")
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences of each split (a smoke run)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    codec, _ = load_codec(args.codec)
    round_weights_fp16(codec)
    frame_s = codec.c.frame_hop / codec.c.sample_rate
    OUT.mkdir(parents=True, exist_ok=True)
    train_lines = [json.loads(x) for x in (TTS_DATA / "train.jsonl").read_text().splitlines()]
    vocab_list = build_vocab(train_lines)
    vocab = {ch: i for i, ch in enumerate(vocab_list)}
    (OUT / "vocab.json").write_text(json.dumps(vocab_list, ensure_ascii=False, indent=1) + "\n")
    for split in ("train", "test"):
        t0 = time.time()
        lines = [json.loads(x) for x in (TTS_DATA / f"{split}.jsonl").read_text().splitlines()]
        z = np.load(TTS_DATA / f"{split}.npz")
        audio, offsets = z["audio"], z["offsets"]
        n = len(lines) if not args.limit else min(args.limit, len(lines))
        codes, phon, words, starts = [], [], [], []
        for i in range(n):
            x = torch.from_numpy(audio[offsets[i] : offsets[i + 1]].astype(np.float32) / 32768.0)[None]
            c = codec.encode(x)[0].numpy().astype(np.int16)  # (K, T)
            ids, st = encode_phonemes(lines[i]["words"], vocab)
            codes.append(c)
            phon.append(np.array(ids, dtype=np.int16))
            starts.append(np.array(st, dtype=np.int16))
            words.append(np.array(words_begun(lines[i]["words"], c.shape[1], frame_s), dtype=np.int16))

        def pack(arrays: list[np.ndarray], axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
            off = np.cumsum([0] + [a.shape[axis] for a in arrays]).astype(np.int64)
            return np.concatenate(arrays, axis=axis), off

        cd, co = pack(codes, axis=1)
        pd, po = pack(phon)
        wd, wo = pack(words)
        sd, so = pack(starts)
        np.savez(OUT / f"{split}.npz", codes=cd, code_offsets=co, phonemes=pd, phoneme_offsets=po, words=wd, word_offsets=wo, word_starts=sd, word_start_offsets=so)
        print(f"{split}: {n} sentences, {co[-1]} frames, {len(vocab_list)} phoneme ids, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
