"""Train, evaluate and export banter's end-of-turn (EoT) model.

    /usr/bin/python3 models/training/eot/train.py            # full run, writes models/eot/
    /usr/bin/python3 models/training/eot/train.py --smoke    # a few minutes; writes to runs/smoke/out

Writes models/eot/{model.onnx, tokenizer.json, tokenizer_config.json, manifest.json,
metrics.json, parity.json, MODEL_CARD.md}; checkpoints and the log go to models/training/runs/eot/.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eot import ftad_analysis, heuristics  # noqa: E402
from eot.data import AGENT, Example, build  # noqa: E402
from eot.model import AGENT_ID, PAD_ID, SEP_ID, SPECIALS, USER_ID, EotModel  # noqa: E402
from lib.common import REPO_ROOT, RUNS_ROOT, data_root, setup_torch  # noqa: E402
from lib.export import describe_onnx, export_onnx, sha256, write_json, write_parity  # noqa: E402
from lib.metrics import binary_metrics  # noqa: E402
from lib.textnorm import normalize_asr  # noqa: E402
from lib.wordpiece import WordPiece, build_vocab, write_tokenizer_json  # noqa: E402

VERSION = "1.0.0"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--out", type=Path, default=None, help="default models/eot (runs/smoke/out with --smoke)")
    p.add_argument("--run", type=Path, default=None, help="checkpoints; default runs/eot (runs/smoke)")
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=512)
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument(
        "--ngram-buckets", type=int, default=0, help="hashed-bigram buckets of the optional n-gram path (0: none)"
    )
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--trunc-per-epoch", type=int, default=60000, help="truncation examples drawn per epoch")
    p.add_argument("--ftad-repeat", type=int, default=3, help="times each FTAD training row is seen per epoch")
    p.add_argument("--trunc-train-cap", type=int, default=240000)
    p.add_argument("--trunc-eval-cap", type=int, default=6000)
    p.add_argument("--smoke", action="store_true", help="tiny data and one short epoch: checks the pipeline")
    args = p.parse_args()
    if args.out is None:
        args.out = RUNS_ROOT / "smoke" / "out" if args.smoke else REPO_ROOT / "models" / "eot"
    if args.run is None:
        args.run = RUNS_ROOT / ("smoke" if args.smoke else "eot")
    return args


# ------------------------------------------------------------------ sequence layout


def layout_ids(tok: WordPiece, context: list[tuple[str, str]], utterance: str, max_len: int) -> list[int]:
    """[USER|AGENT] turn ... [SEP] utterance, keeping the last max_len ids (mirrored in eot.ts)."""
    ids: list[int] = []
    for role, text in context:
        ids.append(AGENT_ID if role == AGENT else USER_ID)
        ids.extend(tok.encode(text))
    ids.append(SEP_ID)
    ids.extend(tok.encode(utterance))
    return ids[-max_len:]


def encode(tok: WordPiece, examples: list[Example], max_len: int) -> tuple[list[list[int]], np.ndarray]:
    return [layout_ids(tok, e.context, e.utterance, max_len) for e in examples], np.array(
        [e.label for e in examples], dtype=np.float32
    )


def batches(seqs: list[list[int]], labels: np.ndarray, batch: int, rng: random.Random | None):
    """Length-bucketed, left-padded batches (shuffled buckets when rng is given)."""
    idx = list(range(len(seqs)))
    if rng is not None:
        rng.shuffle(idx)
        chunks = [idx[i : i + batch * 50] for i in range(0, len(idx), batch * 50)]
        idx = [j for c in chunks for j in sorted(c, key=lambda k: len(seqs[k]))]
    else:
        idx.sort(key=lambda k: len(seqs[k]))
    groups = [idx[i : i + batch] for i in range(0, len(idx), batch)]
    if rng is not None:
        rng.shuffle(groups)
    for g in groups:
        width = max(len(seqs[k]) for k in g)
        ids = np.full((len(g), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(g), width), dtype=np.int64)
        for r, k in enumerate(g):
            s = seqs[k]
            ids[r, width - len(s) :] = s
            mask[r, width - len(s) :] = 1
        yield g, torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(labels[g])


@torch.no_grad()
def predict(model: EotModel, seqs: list[list[int]], batch: int = 256) -> np.ndarray:
    model.eval()
    out = np.zeros(len(seqs), dtype=np.float64)
    dummy = np.zeros(len(seqs), dtype=np.float32)
    for g, ids, mask, _ in batches(seqs, dummy, batch, None):
        out[g] = model(ids, mask).double().numpy()
    return out


# ------------------------------------------------------------------ evaluation


def evaluate_set(
    name: str, examples: list[Example], probs: np.ndarray, train: list[Example], dev: list[Example], seed: int
) -> dict[str, dict[str, float]]:
    labels = np.array([e.label for e in examples])
    train_labels = np.array([e.label for e in train])
    heur = np.array([heuristics.punctuation_last_word_score(e.utterance, e.utterance) for e in examples])
    logreg, choice = heuristics.ngram_logreg_scores(train, dev, examples, seed)
    res = {
        "model": binary_metrics(labels, probs),
        "majority_class": binary_metrics(labels, heuristics.majority_scores(train_labels, len(labels))),
        "last_word_heuristic": binary_metrics(labels, heur),
        "ngram_logreg": {**binary_metrics(labels, logreg), "C": choice["chosen_C"]},
    }
    sources = sorted({e.source for e in examples})
    if len(sources) > 1:
        for s in sources:
            sel = np.array([e.source == s for e in examples])
            res[f"model[{s}]"] = binary_metrics(labels[sel], probs[sel])
    print(f"[{name}] " + "  ".join(f"{k}: auc={v['roc_auc']:.4f} acc={v['accuracy']:.4f}" for k, v in res.items()))
    return res


# ------------------------------------------------------------------ main


def main() -> None:
    args = parse_args()
    setup_torch(args.seed)
    rng = random.Random(args.seed)
    args.run.mkdir(parents=True, exist_ok=True)
    t0 = time.time()

    if args.smoke:
        args.trunc_train_cap, args.trunc_eval_cap, args.trunc_per_epoch = 6000, 900, 3000
        args.epochs, args.vocab = 1, 2000
    data = build(data_root(), args.seed, args.trunc_train_cap, args.trunc_eval_cap)
    if args.smoke:
        data.ftad_train, data.ftad_dev, data.ftad_test = data.ftad_train[:2000], data.ftad_dev[:500], data.ftad_test[:1000]
    print(
        f"data: ftad train {len(data.ftad_train)} dev {len(data.ftad_dev)} test {len(data.ftad_test)}; "
        f"truncation train {len(data.trunc_train)} dev {len(data.trunc_dev)} test {len(data.trunc_test)} "
        f"({time.time() - t0:.0f}s)",
        flush=True,
    )

    # Vocabulary from training text only (held-out text never shapes the tokenizer).
    counts: Counter = Counter()
    for e in data.ftad_train + data.trunc_train:
        counts.update(e.utterance.split())
        for _, t in e.context:
            counts.update(t.split())
    vocab = build_vocab(counts, SPECIALS, args.vocab)
    tok = WordPiece(vocab)
    args.out.mkdir(parents=True, exist_ok=True)

    ftad_train = encode(tok, data.ftad_train, args.max_len)
    trunc_train = encode(tok, data.trunc_train, args.max_len)
    dev_sets = {
        "ftad_dev": (data.ftad_dev, encode(tok, data.ftad_dev, args.max_len)),
        "trunc_dev": (data.trunc_dev, encode(tok, data.trunc_dev, args.max_len)),
    }
    unk = sum(s.count(1) for s in ftad_train[0]) / max(1, sum(len(s) for s in ftad_train[0]))
    print(f"vocab {len(vocab)}; [UNK] rate on FTAD train {unk:.4%}", flush=True)

    model = EotModel(len(vocab), args.d, args.layers, args.heads, args.ff, args.max_len, args.dropout, args.ngram_buckets)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params:,}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(ftad_train[0]) * args.ftad_repeat + min(args.trunc_per_epoch, len(trunc_train[0]))) // args.batch + 1
    total = steps_per_epoch * args.epochs
    warmup = min(500, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.02, 0.5 * (1 + np.cos(np.pi * min(1.0, s / total))))
    )
    loss_fn = nn.BCEWithLogitsLoss()
    best = (-1.0, -1)
    history = []
    trunc_order = list(range(len(trunc_train[0])))
    rng.shuffle(trunc_order)
    cursor = 0
    for epoch in range(args.epochs):
        model.train()
        take = [trunc_order[(cursor + i) % len(trunc_order)] for i in range(min(args.trunc_per_epoch, len(trunc_order)))]
        cursor += len(take)
        seqs = ftad_train[0] * args.ftad_repeat + [trunc_train[0][i] for i in take]
        labels = np.concatenate([np.tile(ftad_train[1], args.ftad_repeat), trunc_train[1][take]])
        te, tl, tn = time.time(), 0.0, 0
        for step, (_, ids, mask, y) in enumerate(batches(seqs, labels, args.batch, rng)):
            loss = loss_fn(model.logits(ids, mask), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tl, tn = tl + loss.item(), tn + 1
            if step % 500 == 0:
                print(f"epoch {epoch} step {step}/{steps_per_epoch} loss {tl / tn:.4f} ({time.time() - te:.0f}s)", flush=True)
        dev = {}
        for name, (_, (s, y)) in dev_sets.items():
            dev[name] = binary_metrics(y, predict(model, s))
        score = dev["ftad_dev"]["roc_auc"] + dev["trunc_dev"]["roc_auc"]
        history.append({"epoch": epoch, "train_loss": tl / max(1, tn), **{k: v for k, v in dev.items()}})
        print(
            f"epoch {epoch} done in {time.time() - te:.0f}s: loss {tl / max(1, tn):.4f} "
            f"ftad_dev auc {dev['ftad_dev']['roc_auc']:.4f} acc {dev['ftad_dev']['accuracy']:.4f} | "
            f"trunc_dev auc {dev['trunc_dev']['roc_auc']:.4f} acc {dev['trunc_dev']['accuracy']:.4f}",
            flush=True,
        )
        if score > best[0]:
            best = (score, epoch)
            torch.save(model.state_dict(), args.run / "best.pt")
    model.load_state_dict(torch.load(args.run / "best.pt"))
    model.eval()
    print(f"best epoch {best[1]}", flush=True)

    # Held-out evaluation (the only place the test splits are read for scoring).
    metrics = {
        "ftad_test": evaluate_set(
            "ftad_test",
            data.ftad_test,
            predict(model, encode(tok, data.ftad_test, args.max_len)[0]),
            data.ftad_train,
            data.ftad_dev,
            args.seed,
        ),
        "truncation_test": evaluate_set(
            "truncation_test",
            data.trunc_test,
            predict(model, encode(tok, data.trunc_test, args.max_len)[0]),
            data.trunc_train,
            data.trunc_dev,
            args.seed,
        ),
    }
    # What any text-only model can hope for on FTAD (see ftad_analysis.py and the card's limits).
    label_audit = ftad_analysis.label_audit(data.ftad_test)

    # Export.
    write_tokenizer_json(args.out / "tokenizer.json", vocab, SPECIALS)
    write_json(
        args.out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": args.max_len,
            "truncation_side": "left",
            "padding_side": "left",
            "pad_token": "[PAD]",
            "unk_token": "[UNK]",
            "sep_token": "[SEP]",
            "additional_special_tokens": ["[USER]", "[AGENT]"],
        },
    )
    example = layout_ids(tok, [("agent", "how can i help")], "i would like to", args.max_len)
    ids = torch.tensor([example])
    io = export_onnx(
        model,
        (ids, torch.ones_like(ids)),
        args.out / "model.onnx",
        ["input_ids", "attention_mask"],
        ["probability"],
        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "probability": {0: "batch"}},
    )
    write_parity_cases(args, model, tok, data)
    elapsed = time.time() - t0
    run_info = {
        "seed": args.seed,
        "params": n_params,
        "best_epoch": best[1],
        "history": history,
        "wall_seconds": round(elapsed),
        "args": {k: str(v) for k, v in vars(args).items()},
        "data_sizes": {k: len(v) for k, v in vars(data).items()},
    }
    write_json(args.out / "metrics.json", {"held_out": metrics, "ftad_label_audit": label_audit, "training": run_info})
    write_manifest(args, io, vocab, n_params)
    write_card(args, metrics, label_audit, run_info, n_params, probe_rows(model, tok, args.max_len))
    print(f"wrote {args.out} in {elapsed:.0f}s", flush=True)


# ------------------------------------------------------------------ artefacts


_EDGE_TEXTS = [
    "",
    "   ",
    "Hello, World!",
    "I'd like to book a table for 2 at 7:30 p.m.",
    "It\u2019s \u2018quoted\u2019 and `ticked`",
    "'cause the dogs' bowls",
    "uh-huh... um, so",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m",
    "\ufb01ne \u2460 \uff21\uff22\uff23",
    "emoji \U0001f600 ok",
    "tab\tand\nnewline",
    "supercalifragilisticexpialidocious " + "x" * 120,
    "zzqxj qwertyuiop",
    "\u6771\u4eac \u0645\u0631\u062d\u0628\u0627",
    "I'M SHOUTING?!",
    "[USER] [SEP] brackets",
    "3.14 is pi, 1,000,000 is a million",
]


# Behaviour probes printed in the model card (illustrations, not metrics).
PROBES = [
    ("What can I do for you?", "I would like to book a table for"),
    ("What can I do for you?", "I would like to book a table for two tonight"),
    ("Shall I book it?", "yes"),
    ("Shall I book it?", "yes please"),
    ("Shall I book it?", "um"),
    ("Shall I book it?", "yes but"),
    ("", "what's the weather like in boston"),
    ("", "can you tell me the weather in"),
    ("", "i was thinking that maybe"),
    ("Anything else?", "no that's all thanks"),
    ("Anything else?", "no"),
    ("", "so the thing is uh"),
]


def probe_rows(model: EotModel, tok: WordPiece, max_len: int) -> str:
    rows = ["| previous assistant turn | caller so far | P(complete) |", "|---|---|---|"]
    for ctx, utt in PROBES:
        context = [("agent", normalize_asr(ctx))] if ctx else []
        ids = torch.tensor([layout_ids(tok, context, normalize_asr(utt), max_len)])
        with torch.no_grad():
            p = float(model(ids, torch.ones_like(ids))[0])
        rows.append(f"| {ctx or '(none)'} | {utt} | {p:.2f} |")
    return "\n".join(rows)


def write_parity_cases(args: argparse.Namespace, model: EotModel, tok: WordPiece, data) -> None:
    """Tokenizer cases (raw -> normalized -> ids) and model cases (raw transcript + context -> ids -> P)."""
    rng = random.Random(args.seed + 7)
    raws = list(_EDGE_TEXTS)
    pool = [e.raw for e in data.trunc_test if e.raw] + [e.raw for e in data.ftad_test]
    raws += rng.sample(pool, min(300, len(pool)))
    tok_cases = [{"raw": r, "normalized": normalize_asr(r), "ids": tok.encode(normalize_asr(r))} for r in raws]

    role_name = {"user": "user", "agent": "assistant"}
    model_cases = []
    picks = rng.sample(data.trunc_test, 20) + rng.sample(data.ftad_test, 20)
    specs = [(e.raw or e.utterance, [{"role": role_name[r], "text": t} for r, t in e.context]) for e in picks]
    specs += [
        ("", []),
        ("Yes, thanks. What's their phone number?", [{"role": "assistant", "text": "Your table is booked."}]),
        ("I want to make a reservation for", []),
        (" ".join(["and then we went to the store"] * 30), [{"role": "assistant", "text": "tell me more " * 40}]),
        ("so", [{"role": "user", "text": "I was thinking"}, {"role": "assistant", "text": "Go on."}]),
    ]
    for transcript, context in specs:
        ctx = [("agent" if c["role"] == "assistant" else "user", normalize_asr(c["text"])) for c in context]
        ctx = [(r, t) for r, t in ctx if t]
        ids = layout_ids(tok, ctx, normalize_asr(transcript), args.max_len)
        with torch.no_grad():
            t = torch.tensor([ids])
            p = float(model(t, torch.ones_like(t))[0])
        model_cases.append({"transcript": transcript, "context": context, "input_ids": ids, "probability": p})
    write_parity(args.out / "parity.json", "eot", 1e-4, model_cases)
    write_json(args.out / "tokenizer-parity.json", {"cases": tok_cases})


def write_manifest(args: argparse.Namespace, io: dict, vocab: list[str], n_params: int) -> None:
    onnx_path = args.out / "model.onnx"
    write_json(
        args.out / "manifest.json",
        {
            "schema": "banter.model/1",
            "name": "banter-eot",
            "kind": "eot",
            "version": VERSION,
            "description": "Semantic end-of-turn detector: P(user turn complete | trailing words, previous turns)",
            "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
            # Only the graph: JSON files may be re-formatted (prettier) without changing their meaning.
            "sha256": {"model.onnx": sha256(onnx_path)},
            "inputs": io["inputs"],
            "outputs": io["outputs"],
            "rates": {"max_tokens": args.max_len},
            "vocab": {
                "size": len(vocab),
                "special_tokens": {"pad": "[PAD]", "unk": "[UNK]", "sep": "[SEP]", "user": "[USER]", "agent": "[AGENT]"},
            },
            "eot": {"contract": "banter-eot/1", "max_tokens": args.max_len, "threshold": 0.5, "output": {"transform": "none"}},
            "params": n_params,
            "opset": io["opset"],
        },
    )


def _row(name: str, m: dict) -> str:
    return f"| {name} | {m['accuracy']:.3f} | {m['f1']:.3f} | {m['roc_auc']:.3f} |"


def _ngram_path(buckets: int) -> str:
    if buckets <= 0:
        return ""
    return (
        f"\n  plus a linear n-gram path (mean-pooled embeddings of the tokens and of token bigrams\n"
        f"  hashed into {buckets:,} buckets, utterance and context apart, added to the logit),"
    )


def _versus_ngram(metrics: dict) -> str:
    """The card's honest line about the strong text baseline, whichever way the comparison went."""
    pairs = {
        name: (metrics[key]["model"]["roc_auc"], metrics[key]["ngram_logreg"]["roc_auc"])
        for key, name in (("ftad_test", "FTAD"), ("truncation_test", "truncation"))
    }
    detail = "model vs n-gram: " + ", ".join(f"{name} {m:.3f} vs {b:.3f}" for name, (m, b) in pairs.items())
    if all(m > b for m, b in pairs.values()):
        return f"- The model beats the word n-gram logistic regression on both held-out sets ({detail} ROC-AUC)."
    lost = " and ".join(name for name, (m, b) in pairs.items() if b >= m)
    return (
        f"- **A linear model does as well or better** on {lost} ({detail}\n"
        f"  ROC-AUC): the encoder, trained from scratch on these examples, is not yet\n"
        f"  worth its size over word counts. What was tried is in models/training/README.md."
    )


def write_card(args: argparse.Namespace, metrics: dict, audit: dict, run: dict, n_params: int, probes: str) -> None:
    template = (Path(__file__).parent / "MODEL_CARD.template.md").read_text(encoding="utf-8")
    tables = []
    for key, title in (("ftad_test", "FTAD test split"), ("truncation_test", "Held-out truncation set")):
        m = metrics[key]
        n = m["model"]["n"]
        rows = [
            f"**{title}** (n = {n}, {m['model']['positive_rate']:.1%} complete)",
            "",
            "| predictor | accuracy | F1 | ROC-AUC |",
            "|---|---|---|---|",
            _row("majority class", m["majority_class"]),
            _row("punctuation / last-word heuristic", m["last_word_heuristic"]),
            _row(f"word n-gram logistic regression (C = {m['ngram_logreg']['C']:g})", m["ngram_logreg"]),
            _row("**banter-eot**", m["model"]),
        ]
        rows += [_row(f"banter-eot, {k[6:-1]} only (n = {v['n']})", v) for k, v in m.items() if k.startswith("model[")]
        tables.append("\n".join(rows))
    size_mb = (args.out / "model.onnx").stat().st_size / 1e6
    rep = audit["repeated_utterances"]["utterance_and_last_speaker"]
    unfinished = audit["completeness_vs_label"]["unfinished_3plus_words"]
    acks = audit["completeness_vs_label"]["one_word_acknowledgement"]
    card = (
        template.replace("{{METRICS}}", "\n\n".join(tables))
        .replace("{{PARAMS}}", f"{n_params:,}")
        .replace("{{NGRAM_PATH}}", _ngram_path(args.ngram_buckets))
        .replace("{{SIZE_MB}}", f"{size_mb:.1f}")
        .replace("{{MINUTES}}", f"{run['wall_seconds'] / 60:.0f}")
        .replace("{{BEST_EPOCH}}", str(run["best_epoch"] + 1))
        .replace("{{SIZES}}", json.dumps(run["data_sizes"]))
        .replace("{{VERSION}}", VERSION)
        .replace("{{COMMAND}}", " ".join(["/usr/bin/python3 models/training/eot/train.py", *sys.argv[1:]]))
        .replace("{{LAYERS}}", str(args.layers))
        .replace("{{D}}", str(args.d))
        .replace("{{HEADS}}", str(args.heads))
        .replace("{{FF}}", str(args.ff))
        .replace("{{VOCAB}}", f"{args.vocab:,}")
        .replace("{{SEED}}", str(args.seed))
        .replace("{{LR}}", f"{args.lr:g}")
        .replace("{{WD}}", f"{args.weight_decay:g}")
        .replace("{{BATCH}}", str(args.batch))
        .replace("{{DROPOUT}}", f"{args.dropout:g}")
        .replace("{{FTAD_REPEAT}}", "once" if args.ftad_repeat == 1 else f"{args.ftad_repeat} times")
        .replace("{{TRUNC_PER_EPOCH}}", f"{args.trunc_per_epoch:,}")
        .replace("{{EPOCHS}}", str(args.epochs))
        .replace("{{PROBES}}", probes)
        .replace("{{VS_NGRAM}}", _versus_ngram(metrics))
        .replace("{{FTAD_MODEL_AUC}}", f"{metrics['ftad_test']['model']['roc_auc']:.3f}")
        .replace("{{FTAD_LOGREG_AUC}}", f"{metrics['ftad_test']['ngram_logreg']['roc_auc']:.3f}")
        .replace("{{REPEATED_SHARE}}", f"{rep['share_of_test']:.0%}")
        .replace("{{REPEATED_ORACLE}}", f"{rep['oracle_roc_auc_on_repeated']:.2f}")
        .replace("{{UNFINISHED_N}}", f"{unfinished['rows']:,}")
        .replace("{{UNFINISHED_END}}", f"{unfinished['labelled_turn_end']:.0%}")
        .replace("{{ACK_N}}", f"{acks['rows']:,}")
        .replace("{{ACK_NOT_END}}", f"{acks['labelled_not_turn_end']:.0%}")
    )
    (args.out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    main()
