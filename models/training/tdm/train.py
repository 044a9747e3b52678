"""Trains banter's TDM duplex LLM (models/tdm/). Resumable: rerun the same command after an
interruption and it continues from runs/<name>/last.pt.

  /usr/bin/python3 models/training/tdm/train.py                 # the committed model
  /usr/bin/python3 models/training/tdm/train.py --smoke         # 2-minute pipeline check

Then models/training/tdm/evaluate.py (behaviour + content figures) and export.py (ONNX, card).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.common import RUNS_ROOT, data_root, setup_torch  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from lib.wordpiece import write_tokenizer_json  # noqa: E402
from tdm.data import build_tokenizer, encode_episode, episodes, load_corpora, swda_backchannels, windows  # noqa: E402
from tdm.episodes import Options  # noqa: E402
from tdm.model import Config, TdmLM  # noqa: E402
from tdm.stream import SPECIALS, UNK  # noqa: E402


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="tdm")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=2100)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--ctx", type=int, default=384)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--stride-slices", type=int, default=48)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--tag-weight", type=float, default=1.0,
                    help="loss weight of the decision at each slice tagged with a turn-taking behaviour")
    ap.add_argument("--smoke", action="store_true", help="tiny data and model, 60 steps: a pipeline check")
    a = ap.parse_args()
    if a.smoke:
        a.name, a.steps, a.eval_every, a.vocab, a.layers, a.dim, a.ff, a.ctx = "tdm-smoke", 60, 30, 1024, 2, 64, 128, 128
    return a


def main() -> None:
    a = parse()
    setup_torch(a.seed)
    out = RUNS_ROOT / a.name
    out.mkdir(parents=True, exist_ok=True)
    root = data_root()
    limit = 40 if a.smoke else None
    corpora = load_corpora(root)
    if a.smoke:
        for c in corpora:
            for p in c.dialogues:
                c.dialogues[p] = c.dialogues[p][:limit]
    wp = build_tokenizer(corpora, a.vocab)
    write_tokenizer_json(out / "tokenizer.json", wp.vocab, SPECIALS, unk=UNK)
    backchannels = swda_backchannels(root)
    (out / "backchannels.json").write_text(json.dumps(backchannels) + "\n")
    vocab_words = [w for w in wp.vocab[len(SPECIALS):] if w.isalpha() and len(w) > 2][:2000]
    opt = Options()
    cfg = Config(vocab=len(wp.vocab), ctx=a.ctx, layers=a.layers, dim=a.dim, heads=a.heads, ff=a.ff)
    (out / "config.json").write_text(json.dumps({"model": cfg.to_dict(), "args": vars(a), "slice_ms": opt.slice_ms}, indent=1) + "\n")

    dev_eps = episodes(corpora, "dev", a.seed + 10_000, opt, vocab_words, backchannels, limit=60)
    dev_enc = [encode_episode(e, wp, a.tag_weight) for e in dev_eps]
    dev_win = windows(dev_enc, a.ctx, np.random.default_rng(a.seed), a.stride_slices)[:96]

    model = TdmLM(cfg)
    optim = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=0.05)
    step, epoch, offset = 0, 0, 0
    history: list[dict] = []
    last = out / "last.pt"
    if last.exists():
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        optim.load_state_dict(ck["optim"])
        step, epoch, offset, history = ck["step"], ck["epoch"], ck["offset"], ck["history"]
        print(f"resumed at step {step} (epoch {epoch}, batch {offset})", flush=True)
    print(f"params {model.params():,}  vocab {len(wp.vocab)}  ctx {a.ctx}", flush=True)

    def lr_at(s: int) -> float:
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        return a.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (s - a.warmup) / max(1, a.steps - a.warmup))))

    def loss_of(batch) -> torch.Tensor:
        """Weighted cross-entropy on banter's side of the stream only; the vocabulary projection is
        computed at those positions alone (about a third of the tokens), which halves a step's time
        here."""
        ids = torch.from_numpy(np.stack([b[0] for b in batch]))
        weight = torch.from_numpy(np.stack([b[1] for b in batch]))[:, 1:]
        w = weight > 0
        hidden = model.hidden(ids[:, :-1])
        logits = hidden[w] @ model.tok.weight.T
        ce = F.cross_entropy(logits, ids[:, 1:][w], reduction="none")
        return (ce * weight[w]).sum() / weight[w].sum()

    def dev_loss() -> float:
        model.eval()
        with torch.no_grad():
            tot = [loss_of(dev_win[i : i + a.batch]).item() for i in range(0, len(dev_win), a.batch)]
        model.train()
        return float(np.mean(tot))

    t0 = time.time()
    best = min((h["dev_loss"] for h in history), default=float("inf"))
    while step < a.steps:
        t_data = time.time()
        enc = [encode_episode(e, wp, a.tag_weight) for e in episodes(corpora, "train", a.seed + epoch, opt, vocab_words, backchannels)]
        rng = np.random.default_rng(a.seed + epoch)
        win = windows(enc, a.ctx, rng, a.stride_slices)
        order = rng.permutation(len(win))
        n_batches = len(win) // a.batch
        print(f"epoch {epoch}: {len(enc)} episodes, {len(win)} windows, {n_batches} batches "
              f"({time.time() - t_data:.0f} s to simulate)", flush=True)
        while offset < n_batches and step < a.steps:
            batch = [win[j] for j in order[offset * a.batch : (offset + 1) * a.batch]]
            for g in optim.param_groups:
                g["lr"] = lr_at(step)
            loss = loss_of(batch)
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            step += 1
            offset += 1
            if step % 25 == 0:
                print(f"step {step} loss {loss.item():.3f} lr {lr_at(step):.2e} {time.time() - t0:.0f}s", flush=True)
            if step % a.eval_every == 0 or step == a.steps:
                dl = dev_loss()
                history.append({"step": step, "epoch": epoch, "train_loss": loss.item(), "dev_loss": dl})
                print(f"  dev loss {dl:.4f}", flush=True)
                ck = {"model": model.state_dict(), "optim": optim.state_dict(), "step": step, "epoch": epoch,
                      "offset": offset, "history": history, "config": cfg.to_dict()}
                torch.save(ck, out / "last.tmp")
                (out / "last.tmp").replace(last)
                if dl < best:
                    best = dl
                    torch.save({"model": model.state_dict(), "config": cfg.to_dict(), "step": step}, out / "best.pt")
        if offset >= n_batches:
            epoch, offset = epoch + 1, 0
    print(f"done: {step} steps, best dev loss {best:.4f}, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
