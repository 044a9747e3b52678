"""Exports a codec LM to a model folder: the step graph (model.StepGraph), manifest, and a
parity fixture (teacher-forced logits of a fixed utterance, pass by pass).

    /usr/bin/python3 models/training/codec_lm/export.py --checkpoint runs/codec_lm-<pattern>/final.pt --out models/codec-lm
    /usr/bin/python3 models/training/codec_lm/export.py --tiny server/tts/codec-lm/testdata/tiny-<pattern> --pattern stack-delay

--tiny exports a randomly initialised, very small LM of the same graph: a fixture for the
TypeScript runner's tests (the step contract, the passes, the cache), never a voice.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codec_lm.model import CodecLm, LmConfig, StepGraph  # noqa: E402
from codec_lm.runner import teacher_forced_logits  # noqa: E402
from lib.export import export_onnx, sha256, write_json, write_parity  # noqa: E402

CONTRACT = "codec-lm-step/1"


def tiny_config(pattern: str, schedule: tuple[int, ...]) -> LmConfig:
    return LmConfig(pattern=pattern, schedule=schedule, codebooks=4, codebook_size=64, phonemes=12, dim=32, layers=2, heads=2, max_positions=512, max_words=16)


def export(model: CodecLm, out: Path, name: str, version: str, vocab: list[str], codec: dict, description: str) -> None:
    c = model.c
    out.mkdir(parents=True, exist_ok=True)
    graph = StepGraph(model).eval()
    N, S = 3, 2
    example = (
        torch.zeros(1, N, c.codebooks + 1, dtype=torch.long),
        torch.arange(N)[None],
        torch.zeros(1, N, dtype=torch.long),
        torch.ones(1, N, N, dtype=torch.long),
        torch.tensor(1),
        *[torch.zeros(1, c.heads, S, c.dim // c.heads) for _ in range(2 * c.layers)],
    )
    past = [f"past.{i}.{kv}" for i in range(c.layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(c.layers) for kv in ("key", "value")]
    axes = {"inputs": {1: "n"}, "positions": {1: "n"}, "depth": {1: "n"}, "pass_mask": {1: "n", 2: "n"}, "logits": {1: "n"}, "words": {1: "n"}}
    axes.update({p: {2: "past"} for p in past})
    axes.update({p: {2: "total"} for p in present})
    g = export_onnx(graph, example, out / "model.onnx", ["inputs", "positions", "depth", "pass_mask", "n_cache", *past], ["logits", "words", *present], axes)
    manifest = {
        "schema": "banter.model/1",
        "name": name,
        "kind": "codec-lm",
        "version": version,
        "description": description,
        "files": {"model": "model.onnx"},
        "sha256": {"model.onnx": sha256(out / "model.onnx")},
        "opset": g["opset"],
        "inputs": g["inputs"],
        "outputs": g["outputs"],
        "codec_lm": {
            "contract": CONTRACT,
            "pattern": c.pattern,
            "schedule": list(c.schedule),
            "codebooks": c.codebooks,
            "codebook_size": c.codebook_size,
            "tokens": {"empty": c.empty, "eos": c.eos, "bos": c.bos},
            "layers": c.layers,
            "heads": c.heads,
            "head_dim": c.dim // c.heads,
            "max_positions": c.max_positions,
            "max_words": c.max_words,
            "phonemes": vocab,
            "codec": codec,
        },
    }
    write_json(out / "manifest.json", manifest)
    torch.manual_seed(11)
    phonemes = [int(x) for x in torch.randint(7, c.phonemes, (6,))]
    codes = torch.randint(0, c.codebook_size, (c.codebooks, 5))
    logits = teacher_forced_logits(graph, phonemes, codes)
    cases = [
        {
            "name": "teacher-forced utterance",
            "phonemes": phonemes,
            "codes": codes.tolist(),
            "cells": [{"frame": f, "level": k, "logits": [round(v, 6) for v in logits[(f, k)].tolist()]} for (f, k) in sorted(logits)],
        }
    ]
    write_parity(out / "parity.json", name, 1e-4, cases)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", type=Path, help="export a random tiny LM (a test fixture) to this folder")
    ap.add_argument("--pattern", default="stack-delay", choices=["flat", "delay", "stack-delay"])
    ap.add_argument("--schedule", default="0", help="stack-delay's block schedule, e.g. 0,2,1")
    ap.add_argument("--checkpoint", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--codec", type=Path, help="the codec folder the LM's tokens come from")
    ap.add_argument("--version", default="0.1.0")
    args = ap.parse_args()
    schedule = tuple(int(x) for x in args.schedule.split(","))
    if args.tiny:
        torch.manual_seed(5)
        model = CodecLm(tiny_config(args.pattern, schedule)).eval()
        vocab = ["<pad>", "<unk>", " ", ",", ".", "?", "!", "a", "b", "d", "e", "f"]
        export(model, args.tiny, f"tiny-codec-lm-{args.pattern}", "0.0.1", vocab, {"name": "tiny-codec", "frames_per_second": 100}, "Random, tiny codec LM: a test fixture, not a voice")
        print(f"wrote {args.tiny}")
        return
    if not args.checkpoint or not args.out or not args.codec:
        raise SystemExit("give --checkpoint, --out and --codec (the codec folder whose tokens it was trained on), or --tiny")
    import json

    from codec_lm.data import OUT as DATA  # noqa: E402

    state = torch.load(args.checkpoint)
    cfg = dict(state["config"])
    cfg["schedule"] = tuple(cfg["schedule"])
    model = CodecLm(LmConfig(**cfg))
    model.load_state_dict(state["model"])
    model.eval()
    vocab = json.loads((DATA / "vocab.json").read_text())
    codec = json.loads((args.codec / "manifest.json").read_text())
    info = {"name": f"{codec['name']}@{codec['version']}", "frames_per_second": codec["rates"]["frames_per_second"], "decoder_sha256": codec["sha256"]["decoder.onnx"]}
    c = model.c
    export(model, args.out, f"banter-codec-lm-{c.pattern}", args.version, vocab, info,
           f"Codec LM ({c.pattern}), {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, step {state['step']}")  # fmt: skip
    write_json(args.out / "training.json", {"step": state["step"], "args": state["args"], "config": state["config"]})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
