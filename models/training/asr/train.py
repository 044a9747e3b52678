"""Trains the streaming CTC recognizer on the shards of build_data.py, resumably.

    nohup /usr/bin/python3 models/training/asr/train.py > models/training/runs/asr/train.log 2>&1 &
    /usr/bin/python3 models/training/asr/train.py --smoke     # a few steps on the smoke shards

Each epoch reads every training shard present when it starts (so it can run beside a data
build that is still adding shards). A checkpoint (model, optimizer, step, epoch, best dev
CER) is written every --ckpt-every steps and at each epoch's end to runs/asr/ckpt.pt; a
restart resumes from it. The best epoch by dev CER is kept as runs/asr/best.pt.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
import sys

# OpenBLAS (libopenblas0-pthread) starts one thread per core unless told otherwise, and it reads
# this when numpy loads it: two "one-thread" trainers then ran four threads on two cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from asr.model import StreamingCtc  # noqa: E402
from asr.text import BLANK, decode  # noqa: E402
from lib.common import RUNS_ROOT, setup_torch  # noqa: E402


def load_shard(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    with np.load(path) as d:
        # Each d[key] reads (and copies) the whole array again: read every array once.
        feats, labels, fc, lc = d["feats"], d["labels"], d["frame_counts"], d["label_counts"]
    fo = np.concatenate([[0], np.cumsum(fc)])
    lo = np.concatenate([[0], np.cumsum(lc)])
    return [(feats[fo[i] : fo[i + 1]], labels[lo[i] : lo[i + 1]]) for i in range(len(fc))]


def batches(items, max_frames: int, rng: np.random.Generator):
    """Length-sorted batches of at most max_frames padded frames, in random order."""
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    out, cur = [], []
    for i in order:
        longest = max([len(items[j][0]) for j in cur] + [len(items[i][0])])
        if cur and longest * (len(cur) + 1) > max_frames:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(items, idx, stride: int):
    feats = [items[i][0] for i in idx]
    t = max(len(f) for f in feats)
    t += -t % stride
    x = torch.zeros(len(idx), t, feats[0].shape[1])
    for k, f in enumerate(feats):
        x[k, : len(f)] = torch.from_numpy(f.astype(np.float32))
    in_lens = torch.tensor([len(f) // stride for f in feats])
    labels = [torch.from_numpy(items[i][1].astype(np.int64)) for i in idx]
    return x, in_lens, torch.cat(labels), torch.tensor([len(y) for y in labels])


def greedy(logp: torch.Tensor, length: int) -> str:
    ids = logp[:length].argmax(-1).tolist()
    out, prev = [], BLANK
    for i in ids:
        if i != prev and i != BLANK:
            out.append(i)
        prev = i
    return decode(out)


def edit_distance(a, b) -> int:
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


def evaluate(model: StreamingCtc, items) -> dict:
    model.eval()
    chars = words = char_err = word_err = 0
    with torch.no_grad():
        for idx in batches(items, 40_000, np.random.default_rng(0)):
            x, in_lens, _, _ = collate(items, idx, model.stride)
            logp, _, _ = model(x, *model.initial(len(idx)))
            for k, i in enumerate(idx):
                hyp, ref = greedy(logp[k], int(in_lens[k])), decode(items[i][1].tolist())
                char_err += edit_distance(hyp, ref)
                word_err += edit_distance(hyp.split(), ref.split())
                chars += len(ref)
                words += len(ref.split())
    model.train()
    return {"cer": char_err / max(chars, 1), "wer": word_err / max(words, 1), "utterances": len(items)}


MODEL_ARGS = ("hidden", "layers", "conv_channels", "kernel", "stride")


def spec_augment(x: torch.Tensor, rng: np.random.Generator, freq_width: int = 10, time_width: int = 20) -> torch.Tensor:
    """Two frequency and two time masks per utterance (set to the normalized mean, 0 after CMVN)."""
    x = x.clone()
    b, t, f = x.shape
    for k in range(b):
        for _ in range(2):
            w = int(rng.integers(0, freq_width + 1))
            at = int(rng.integers(0, f - w + 1))
            x[k, :, at : at + w] = 0
            w = int(rng.integers(0, min(time_width, t // 10) + 1))
            at = int(rng.integers(0, t - w + 1))
            x[k, at : at + w, :] = 0
    return x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="asr", help="folder under runs/ for checkpoints (the data stays in runs/asr/data)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--lr-decay", type=float, default=0.7, help="learning-rate factor per finished epoch")
    ap.add_argument("--warmup", type=int, default=300, help="steps of linear warm-up")
    ap.add_argument("--max-frames", type=int, default=6_000, help="padded input frames per batch")
    ap.add_argument("--specaug-from", type=int, default=3_000, help="step from which SpecAugment masks the input")
    ap.add_argument("--hidden", type=int, default=320)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--conv-channels", type=int, default=256)
    ap.add_argument("--kernel", type=int, default=5)
    ap.add_argument("--stride", type=int, default=3)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--dev-every", type=int, default=10, help="shards between quick dev checks (200 utterances)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1,
                    help="processes, one core and one thread each, averaging gradients (data parallel); "
                         "--max-frames is per worker")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.workers > 1:
        import torch.multiprocessing as mp

        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29517")
        mp.spawn(worker, args=(args,), nprocs=args.workers, join=True)
    else:
        worker(0, args)


def worker(rank: int, args: argparse.Namespace) -> None:
    world = args.workers
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("gloo", rank=rank, world_size=world)
    lead = rank == 0
    log = print if lead else (lambda *a, **k: None)
    setup_torch(args.seed)
    torch.use_deterministic_algorithms(False)  # CTC loss has no deterministic CPU backward flag; seeds still fix the run
    data = RUNS_ROOT / ("asr-smoke" if args.smoke else "asr") / "data"
    run = RUNS_ROOT / ("asr-smoke" if args.smoke else args.run)
    run.mkdir(parents=True, exist_ok=True)
    train_dir, valid_dir = data / "train", data / "valid"
    if args.smoke:
        args.epochs, args.ckpt_every, args.dev_every = 2, 5, 1
    shards = sorted(train_dir.glob("shard-*.npz"))
    if not shards:
        raise SystemExit(f"no shards in {train_dir}: run asr/build_data.py first")
    valid = [it for p in sorted(valid_dir.glob("shard-*.npz")) for it in load_shard(p)] or load_shard(shards[0])[:50]
    quick = valid[:: max(1, len(valid) // 200)]

    config = {k: getattr(args, k) for k in MODEL_ARGS}
    ckpt = run / "ckpt.pt"
    saved = torch.load(ckpt) if ckpt.exists() else None
    if saved:
        config = saved["config"]
    model = StreamingCtc(**config)
    first = np.concatenate([f for f, _ in load_shard(shards[0])]).astype(np.float64)
    model.mean.copy_(torch.from_numpy(first.mean(0)).float())
    model.std.copy_(torch.from_numpy(first.std(0) + 1e-5).float())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
    state = {"epoch": 0, "step": 0, "best_cer": 1e9, "history": [], "args": vars(args)}
    if saved:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        log(f"resumed at epoch {state['epoch']} step {state['step']}", flush=True)
    # Every (re)start's flags, so the model card can say exactly how the model was trained.
    state.setdefault("starts", []).append({"step": state["step"], "args": vars(args)})

    def save(path: Path) -> None:
        if not lead:
            return
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "config": config},
                   path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)

    log(f"{sum(p.numel() for p in model.parameters())} parameters, {json.dumps(config)}, {world} worker(s)", flush=True)

    def sync() -> None:
        if world > 1:
            torch.distributed.barrier()

    params = [p for p in model.parameters()]
    while state["epoch"] < args.epochs:
        epoch = state["epoch"]
        rng = np.random.default_rng(args.seed * 1000 + epoch)
        # The epoch's shard order is fixed when it starts (and kept in the checkpoint), so a resumed
        # epoch skips exactly the shards it already did even while the data build adds more.
        if not state.get("epoch_shards"):
            names = sorted(p.name for p in train_dir.glob("shard-*.npz"))
            state["epoch_shards"] = [names[i] for i in rng.permutation(len(names))]
        shards = state["epoch_shards"]
        done_in_epoch = state.get("done_in_epoch", 0)
        t0, losses = time.time(), []
        lr = args.lr * args.lr_decay**epoch
        # The masks' own generator, per worker: `rng` must stay in step on every worker, since
        # each one computes the same batches and takes every world-th.
        aug = np.random.default_rng(args.seed * 7919 + epoch * 101 + rank + 1000 * done_in_epoch)
        for n, name in enumerate(shards):
            if n < done_in_epoch:
                continue
            items = load_shard(train_dir / name)
            all_batches = batches(items, args.max_frames, rng)
            mine = all_batches[rank :: world][: len(all_batches) // world]
            for idx in mine:
                x, in_lens, y, y_lens = collate(items, idx, model.stride)
                if state["step"] >= args.specaug_from:
                    x = (x - model.mean) / model.std
                    x = spec_augment(x, aug) * model.std + model.mean
                logp, _, _ = model(x, *model.initial(len(idx)))
                loss = ctc(logp.transpose(0, 1), y, in_lens, y_lens)
                warm = min(1.0, (state["step"] + 1) / args.warmup)
                for g in opt.param_groups:
                    g["lr"] = lr * warm
                opt.zero_grad()
                loss.backward()
                if world > 1:
                    # Average the gradients of all workers (one flat all-reduce): the same update everywhere.
                    flat = torch.cat([p.grad.reshape(-1) for p in params])
                    torch.distributed.all_reduce(flat)
                    flat /= world
                    at = 0
                    for p in params:
                        p.grad.copy_(flat[at : at + p.numel()].view_as(p))
                        at += p.numel()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                opt.step()
                state["step"] += 1
                losses.append(float(loss))
                if state["step"] % args.ckpt_every == 0:
                    rate = (time.time() - t0) / max(len(losses), 1)
                    log(f"epoch {epoch} step {state['step']} loss {np.mean(losses[-50:]):.3f} ({rate:.2f} s/step)",
                        flush=True)
            state["done_in_epoch"] = n + 1
            save(ckpt)
            if (n + 1) % args.dev_every == 0 and lead:
                log(f"epoch {epoch} shard {n + 1}/{len(shards)} quick dev {json.dumps(evaluate(model, quick))}",
                    flush=True)
            sync()
        dev = evaluate(model, valid) if lead else {"cer": 0.0, "wer": 0.0, "utterances": 0}
        sync()
        state["history"].append({"epoch": epoch, "loss": float(np.mean(losses)) if losses else None, **dev,
                                 "shards": len(shards), "minutes": (time.time() - t0) / 60, "lr": lr})
        log(json.dumps(state["history"][-1]), flush=True)
        if lead and dev["cer"] < state["best_cer"]:
            state["best_cer"] = dev["cer"]
            torch.save({"model": model.state_dict(), "config": config, "history": state["history"]}, run / "best.pt")
        state["epoch"], state["done_in_epoch"], state["epoch_shards"] = epoch + 1, 0, None
        save(ckpt)


if __name__ == "__main__":
    main()
