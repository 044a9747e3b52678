"""Trains one variant of the codec LM (codec_lm/model.py) on the codec's tokens of the TTS data.

    /usr/bin/python3 models/training/codec_lm/data.py --codec <the committed codec's checkpoint>
    setsid nohup /usr/bin/python3 models/training/codec_lm/train.py --pattern stack-delay > models/training/runs/codec_lm-stack-delay.log 2>&1 < /dev/null &
    /usr/bin/python3 models/training/codec_lm/train.py --pattern flat --smoke      # the pipeline in a minute

Training examples are spans of consecutive words of a sentence (at most --max-frames of
audio, cut at word boundaries with 80 ms before and 120 ms after, as the synthesizer speaks
clause by clause): the span's phonemes are the prompt, its frames the audio, EOS after them.
The three variants share data order, sizes and seed, so their NLLs compare. Checkpoints every
250 steps to runs/codec_lm-<pattern>/last.pt (model, optimizer, step, random states): a
stopped run resumes with the same weights. Dev: the last 100 training sentences, held out
of the spans; token NLL logged every 500 steps.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codec_lm.data import OUT as DATA  # noqa: E402
from codec_lm.model import CodecLm, LmConfig, collate, layout, loss  # noqa: E402
from lib.common import RUNS_ROOT, load_checkpoint, save_checkpoint, setup_torch, warmup_cosine  # noqa: E402

DEV_SENTENCES = 100
LEAD_FRAMES, TAIL_FRAMES = 2, 3  # 80 ms before the first word, 120 ms after the last (25 Hz)


class Sentences:
    def __init__(self, path: Path):
        z = np.load(path)
        self.codes, self.co = z["codes"], z["code_offsets"]
        self.ph, self.po = z["phonemes"], z["phoneme_offsets"]
        self.words, self.wo = z["words"], z["word_offsets"]
        self.starts, self.so = z["word_starts"], z["word_start_offsets"]

    def __len__(self) -> int:
        return len(self.co) - 1

    def sentence(self, i: int):
        codes = self.codes[:, self.co[i] : self.co[i + 1]].astype(np.int64)
        return codes, self.ph[self.po[i] : self.po[i + 1]], self.words[self.wo[i] : self.wo[i + 1]], self.starts[self.so[i] : self.so[i + 1]]


def span(s: Sentences, i: int, rng: np.random.Generator, max_frames: int):
    """(phonemes, codes (K, T), words begun per frame) of a random span of words of sentence i."""
    codes, ph, words, starts = s.sentence(i)
    n = len(starts)
    T = codes.shape[1]
    begun = words.astype(np.int64)
    # frame at which word j begins: the first frame whose count exceeds j
    first = [int(np.searchsorted(begun, j + 1)) for j in range(n)]
    a = int(rng.integers(n))
    b = a
    while b + 1 < n and (first[b + 1] + 4) - first[a] + LEAD_FRAMES + TAIL_FRAMES <= max_frames:
        b += 1
    lo = max(0, first[a] - LEAD_FRAMES)
    end_word = first[b + 1] if b + 1 < n else T
    hi = min(T, end_word + (TAIL_FRAMES if b + 1 < n else 0), lo + max_frames)
    p_lo = int(starts[a])
    p_hi = int(starts[b + 1]) - 1 if b + 1 < n else len(ph)  # drop the space before the next word
    w = np.clip(begun[lo:hi] - a, 0, None)
    return [int(x) for x in ph[p_lo:p_hi]], torch.from_numpy(codes[:, lo:hi]), [int(x) for x in w]


def lr_at(step: int, total: int, peak: float) -> float:
    return warmup_cosine(step, total, peak, warmup=500, floor=1e-5)


@torch.no_grad()
def dev_nll(model: CodecLm, s: Sentences, ids: list[int], max_frames: int) -> float:
    model.eval()
    rng = np.random.default_rng(0)
    items = [layout(model.c, *span(s, i, rng, max_frames)) for i in ids]
    total = []
    for j in range(0, len(items), 8):
        _, info = loss(model, collate(items[j : j + 8]))
        total.append(info["token_nll"])
    model.train()
    return float(np.mean(total))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pattern", required=True, choices=["flat", "delay", "stack-delay"])
    ap.add_argument("--schedule", default="0", help="stack-delay's block schedule, e.g. 0,2,4,1,3,5")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-frames", type=int, default=50, help="audio per span, frames (50 = 2 s at 25 Hz)")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.steps, args.batch, args.dim, args.layers = 10, 4, 64, 2
    setup_torch(args.seed, args.threads)
    s = Sentences(DATA / "train.npz")
    phonemes = len(json.loads((DATA / "vocab.json").read_text()))
    codebooks = s.codes.shape[0]
    dev_ids = list(range(len(s) - min(DEV_SENTENCES, len(s) // 5), len(s)))
    train_ids = list(range(dev_ids[0]))
    schedule = tuple(int(x) for x in args.schedule.split(","))
    c = LmConfig(pattern=args.pattern, schedule=schedule, codebooks=codebooks, phonemes=phonemes, dim=args.dim, layers=args.layers)
    run = RUNS_ROOT / (f"codec_lm-{args.pattern}" + ("-smoke" if args.smoke else ""))
    run.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    model = CodecLm(c)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    step = 0
    last = run / "last.pt"
    state = load_checkpoint(last, rng)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    print(f"{args.pattern}: {len(train_ids)} sentences, {len(dev_ids)} dev, {sum(p.numel() for p in model.parameters())} parameters", flush=True)

    def save(path: Path) -> None:
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "config": c.to_json(), "args": vars(args)}
        save_checkpoint(path, state, rng)

    t0, logs = time.time(), []
    model.train()
    while step < args.steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr)
        items = [layout(c, *span(s, int(rng.choice(train_ids)), rng, args.max_frames)) for _ in range(args.batch)]
        total, info = loss(model, collate(items))
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        logs.append((info["token_nll"], info["word_nll"]))
        step += 1
        if step % 25 == 0 or step == args.steps:
            m = np.mean(logs[-25:], axis=0)
            print(f"step {step} token nll {m[0]:.3f} word nll {m[1]:.3f} lr {lr_at(step, args.steps, args.lr):.2e} {(time.time() - t0) / len(logs):.2f} s/step", flush=True)
        if step % 250 == 0 or step == args.steps:
            save(last)
        if step % 500 == 0 or step == args.steps:
            print(f"step {step} dev token nll {dev_nll(model, s, dev_ids, args.max_frames):.3f}", flush=True)
    save(run / "final.pt")
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
