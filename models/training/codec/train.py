"""Trains banter's codec (codec/model.py) on the system voice (codec/data.py).

    /usr/bin/python3 models/training/codec/data.py                    # once: ~25 min, runs/codec/data
    setsid nohup /usr/bin/python3 models/training/codec/train.py > models/training/runs/codec.log 2>&1 &
    /usr/bin/python3 models/training/codec/train.py --smoke           # a minute, on the smoke data

Each step: a batch of 1.28 s crops of training sentences at a random level (-6..+3 dB), a
random number of codebooks (quantizer dropout: half the steps use k of K, k uniform in 1..K,
so that every prefix of the codebooks decodes), loss = log-mel L1 (three resolutions) +
multi-resolution STFT + 0.25 x commitment. AdamW with warm-up and cosine decay.
Checkpoints every 250 steps to runs/<run>/last.pt (model, optimizer, step, every random
state), so a stopped run resumes where it stopped and ends with the same weights; the run is
meant to span sittings. Dev: the last 100 training sentences are held out of the crops and
their log-mel distance at K and at 4 codebooks is logged every 1000 steps; the last step's
model is kept (no selection on the test sentences). Export: codec/export.py.

Frame rate by a pilot (same data, schedule and seed, 1000 steps): dev log-mel distance 0.349
at 50 Hz (K=8, 4 kbit/s) and 0.355 at 50 Hz with 4 codebooks (2 kbit/s), against 0.346 at
25 Hz (K=8, 2 kbit/s): no worse at half the frames, so 25 Hz is the default.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codec.data import DATA  # noqa: E402
from codec.losses import mel_distance, mel_loss, stft_loss  # noqa: E402
from codec.model import Codec, CodecConfig  # noqa: E402
from lib.common import RUNS_ROOT, load_checkpoint, save_checkpoint, setup_torch, warmup_cosine  # noqa: E402

DEV_SENTENCES = 100


def load_clips(path: Path) -> list[np.ndarray]:
    z = np.load(path)
    audio, offsets = z["audio"], z["offsets"]
    return [audio[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def as_float(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x.astype(np.float32) / 32768.0)


class Crops:
    def __init__(self, clips: list[np.ndarray], rng: np.random.Generator):
        self.clips, self.rng = clips, rng

    def batch(self, size: int, n: int) -> torch.Tensor:
        out = np.zeros((size, n), dtype=np.float32)
        for b in range(size):
            a = self.clips[int(self.rng.integers(len(self.clips)))]
            if len(a) > n:
                start = int(self.rng.integers(0, len(a) - n))
                a = a[start : start + n]
            gain = 10 ** (self.rng.uniform(-6.0, 3.0) / 20)
            out[b, : len(a)] = a.astype(np.float32) / 32768.0 * gain
        return torch.from_numpy(np.clip(out, -1.0, 1.0))


def lr_at(step: int, total: int, peak: float) -> float:
    return warmup_cosine(step, total, peak, warmup=500, floor=2e-5)


@torch.no_grad()
def dev_distance(model: Codec, clips: list[np.ndarray], n_q: int) -> float:
    model.eval()
    out = []
    for a in clips:
        x = as_float(a[: len(a) // model.c.frame_hop * model.c.frame_hop])[None]
        codes = model.encode(x)[:, :n_q]
        y, _ = model.decode(codes)
        out.append(mel_distance(y[0], x[0]))
    model.train()
    return float(np.mean(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=11500)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--crop-ms", type=int, default=1280, help="audio per crop")
    ap.add_argument("--frame-hop", type=int, default=640, help="samples per token frame (640: 25 Hz; 320: 50 Hz)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--run", default="codec")
    args = ap.parse_args()
    if args.smoke:
        args.steps, args.batch, args.run = 20, 4, "codec-smoke"
    setup_torch(args.seed, args.threads)
    config = CodecConfig(frame_hop=args.frame_hop)
    clips = load_clips((DATA / "smoke" if args.smoke else DATA) / "train.npz")
    dev = clips[-DEV_SENTENCES:] if not args.smoke else clips[-4:]
    train = clips[: len(clips) - len(dev)]
    run = RUNS_ROOT / args.run
    run.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = Codec(config)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.8, 0.99), weight_decay=1e-4)
    step = 0
    last = run / "last.pt"
    state = load_checkpoint(last, rng)
    if state is not None:
        if CodecConfig(**state["config"]) != config:
            raise SystemExit(f"{last} was trained with {state['config']}, not {config.to_json()}")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        gen.set_state(state["gen"])
        print(f"resumed at step {step}", flush=True)
    crops = Crops(train, rng)
    n = args.crop_ms * 16 // config.frame_hop * config.frame_hop
    print(
        f"{len(train)} sentences ({sum(map(len, train)) / 16000 / 3600:.2f} h), {len(dev)} dev; "
        f"encoder {sum(p.numel() for p in model.encoder.parameters())}, "
        f"decoder {sum(p.numel() for p in model.decoder.parameters())} parameters; {args.steps} steps of {args.batch}",
        flush=True,
    )

    def save(path: Path) -> None:
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "gen": gen.get_state()}
        save_checkpoint(path, {**state, "config": config.to_json(), "args": vars(args)}, rng)

    t0, logs = time.time(), []
    model.train()
    while step < args.steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr)
        x = crops.batch(args.batch, n)
        n_q = int(rng.integers(1, config.codebooks + 1)) if rng.random() < 0.5 else config.codebooks
        y, codes, commit = model(x, n_q, gen)
        mel, spec = mel_loss(y, x), stft_loss(y, x)
        loss = mel + spec + 0.25 * commit
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        logs.append((float(mel), float(spec), float(commit)))
        step += 1
        if step % 50 == 0 or step == args.steps:
            m = np.mean(logs[-50:], axis=0)
            used = [int(torch.unique(codes[:, k]).numel()) for k in range(codes.shape[1])]
            print(
                f"step {step} mel {m[0]:.3f} stft {m[1]:.3f} commit {m[2]:.4f} lr {lr_at(step, args.steps, args.lr):.2e} "
                f"codes used {used[:4]} {(time.time() - t0) / len(logs):.2f} s/step",
                flush=True,
            )
        if step % 250 == 0 or step == args.steps:
            save(last)
        if step % 1000 == 0 or step == args.steps:
            k = config.codebooks
            print(f"step {step} dev mel distance K={k} {dev_distance(model, dev, k):.3f} K=4 {dev_distance(model, dev, 4):.3f}", flush=True)
    save(run / "final.pt")
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
