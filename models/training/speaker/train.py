"""Trains banter's speaker encoder (speaker/model.py) with AAM-softmax on speaker classes.

    /usr/bin/python3 models/training/speaker/data.py                  # once: the audio cache
    nohup /usr/bin/python3 models/training/speaker/train.py > models/training/runs/speaker.log 2>&1 &
    /usr/bin/python3 models/training/speaker/train.py --smoke         # a minute, on the smoke cache

Each step: 64 crops of one random length (1-2 s), classes drawn uniformly, corrupted
(speaker/augment.py), Kaldi fbank (torchaudio, the server's twin), mean-normalized. Adam with
warm-up and cosine decay; the angular margin grows from 0 to 0.2 over the first third.
Checkpoints every 200 steps to runs/speaker/last.pt (model, head, optimizer, step and every
random state), so a restarted run resumes where it stopped and ends with the same weights.
The dev EER (20 LibriSpeech speakers held out of training) is logged every 500 steps; the
last step's model is kept (no selection on the test sets). Export: speaker/export.py.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.synth import load_noises  # noqa: E402
from lib.common import RUNS_ROOT, data_root, setup_torch  # noqa: E402
from lib.features import kaldi_fbank  # noqa: E402
from speaker.augment import RATE, corrupt  # noqa: E402
from speaker.data import DATA, load  # noqa: E402
from speaker.evaluate import as_float, encoder_embed, pairwise  # noqa: E402
from speaker.model import AamSoftmax, SpeakerEncoder, cmn  # noqa: E402

NOISES = ("dishes", "miaowing", "bike", "tap", "pink", "white")


class Crops:
    """Training batches drawn from the cached audio."""

    def __init__(self, audio: list[np.ndarray], noises: list[np.ndarray], rng: np.random.Generator):
        self.audio, self.noises, self.rng = audio, noises, rng

    def crop(self, cls: int, n: int) -> np.ndarray:
        a = self.audio[cls]
        if len(a) <= n:
            return as_float(np.pad(a, (0, n - len(a)), mode="wrap"))
        start = int(self.rng.integers(0, len(a) - n))
        return as_float(a[start : start + n])

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = int(self.rng.uniform(1.0, 2.0) * RATE)
        labels = self.rng.integers(0, len(self.audio), size)
        feats = []
        for cls in labels:
            other = int(self.rng.integers(len(self.audio)))
            talker = self.crop(other, n) if other != cls else None
            feats.append(kaldi_fbank(corrupt(self.crop(int(cls), n), self.rng, self.noises, talker)))
        return cmn(torch.stack(feats)), torch.from_numpy(labels)


def lr_at(step: int, total: int, peak: float, warmup: int = 300) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return 1e-5 + (peak - 1e-5) * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))


def margin_at(step: int, total: int, final: float = 0.2) -> float:
    start, end = total // 10, total // 3
    return 0.0 if step < start else final * min(1.0, (step - start) / max(1, end - start))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=4500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--channels", type=int, default=192)
    ap.add_argument("--dim", type=int, default=192)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--run", default="speaker")
    args = ap.parse_args()
    if args.smoke:
        args.steps, args.batch, args.run = 30, 16, "speaker-smoke"
    setup_torch(args.seed)
    data = DATA / "smoke" if args.smoke else DATA
    audio, names = load(data / "train.npz")
    dev_audio, dev_names = load(data / "dev.npz")
    noises = list(load_noises(data_root() / "noise" / "speech-commands", NOISES).values())
    run = RUNS_ROOT / args.run
    run.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    model = SpeakerEncoder(channels=args.channels, dim=args.dim)
    head = AamSoftmax(args.dim, len(audio))
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    step = 0
    last = run / "last.pt"
    if last.exists():
        state = torch.load(last)
        model.load_state_dict(state["model"])
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    crops = Crops(audio, noises, rng)
    print(
        f"{len(audio)} classes, {sum(map(len, audio)) / RATE / 3600:.2f} h; "
        f"{sum(p.numel() for p in model.parameters())} encoder parameters; {args.steps} steps of {args.batch}",
        flush=True,
    )

    def save(path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save(
            {
                "model": model.state_dict(),
                "head": head.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "config": model.config,
                "classes": names,
                "args": vars(args),
            },
            tmp,
        )
        tmp.rename(path)

    t0, losses = time.time(), []
    while step < args.steps:
        model.train()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr)
        feats, labels = crops.batch(args.batch)
        loss = head(model(feats), labels, margin_at(step, args.steps))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        losses.append(float(loss))
        step += 1
        if step % 50 == 0 or step == args.steps:
            rate = (time.time() - t0) / len(losses)
            print(
                f"step {step} loss {np.mean(losses[-50:]):.3f} lr {lr_at(step, args.steps, args.lr):.2e} "
                f"margin {margin_at(step, args.steps):.2f} {rate:.2f} s/step",
                flush=True,
            )
        if step % 200 == 0 or step == args.steps:
            save(last)
        if step % 500 == 0 or step == args.steps:
            embed = encoder_embed(model)
            embs = np.stack([embed(as_float(a)) for a in dev_audio])
            print(f"step {step} dev EER {100 * pairwise(embs, dev_names)['eer']:.2f}%", flush=True)
    save(run / "final.pt")
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
