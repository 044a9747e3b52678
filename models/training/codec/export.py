"""Exports the trained codec to models/codec/: decoder and encoder ONNX, manifest, parity
fixture; then measures it (eval/codec/quality.ts, the server's own ONNX path, on the held-out
sentences) into metrics.json and writes the model card.

    /usr/bin/python3 models/training/codec/export.py [--checkpoint runs/codec/final.pt] [--no-eval]
    /usr/bin/python3 models/training/codec/export.py --tiny server/tts/codec/testdata/tiny-codec

Weights are stored as float16 (each behind a Cast that onnxruntime folds at load, so it
computes in float32); the PyTorch model is rounded the same way before parity and metrics.
The decoder graph (files.model) is what the server runs: `codes` [batch, K, frames] int64 and
`state` [batch, S] float32 in, `audio` [batch, frames * hop] and `next_state` out. The token
K_size (one past the last codebook entry) is "no token", so the first k codebooks decode alone.
The encoder graph (files.encoder): `audio` [batch, samples] in [-1, 1] -> `codes`.

--tiny exports a randomly initialised, very small codec of the same graphs: a fixture for the
TypeScript tests of the code around the model (streaming state, manifest checks), never a
codec anyone should listen to.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.synth import read_wav  # noqa: E402
from codec.model import Codec, CodecConfig, DecoderGraph, EncoderGraph  # noqa: E402
from lib.common import REPO_ROOT, RUNS_ROOT  # noqa: E402
from lib.export import describe_onnx, export_onnx, round_weights_fp16, sha256, store_float16, write_json, write_parity  # noqa: E402

OUT = REPO_ROOT / "models" / "codec"
PARITY_WAV = "fixtures/audio/greeting.wav"
PARITY_FRAMES = 20  # 0.8 s at 25 Hz
TINY = CodecConfig(
    mel_hop=80, mel_bands=20, mel_fft=256, frame_hop=160, n_fft=320,
    codebooks=4, codebook_size=64, code_dim=8, enc_dim=16, enc_blocks=(1, 1), dec_dim=16, dec_blocks=(1, 1),
)


def load_codec(path: Path) -> tuple[Codec, dict]:
    state = torch.load(path)
    c = dict(state["config"])
    c["enc_blocks"], c["dec_blocks"] = tuple(c["enc_blocks"]), tuple(c["dec_blocks"])
    model = Codec(CodecConfig(**c))
    model.load_state_dict(state["model"])
    return model.eval(), state


def export_graphs(model: Codec, out: Path, fp16: bool = False) -> dict:
    """Both graphs; fp16: weights stored as float16 (the model must be rounded first, round_weights_fp16)."""
    c = model.c
    codes = torch.randint(0, c.codebook_size, (1, c.codebooks, 10))
    state = model.decoder.initial_state(1)
    dec = export_onnx(
        DecoderGraph(model),
        (codes, state),
        out / "decoder.onnx",
        ["codes", "state"],
        ["audio", "next_state"],
        {"codes": {0: "batch", 2: "frames"}, "state": {0: "batch"}, "audio": {0: "batch", 1: "samples"}, "next_state": {0: "batch"}},
    )
    audio = torch.zeros(1, c.frame_hop * 13)  # not the parity fixture's length: a length baked in would show
    # No constant folding: folding would store each codebook twice (as it is and transposed).
    enc = export_onnx(
        EncoderGraph(model),
        (audio,),
        out / "encoder.onnx",
        ["audio"],
        ["codes"],
        {"audio": {0: "batch", 1: "samples"}, "codes": {0: "batch", 2: "frames"}},
        constant_folding=False,
    )
    if fp16:
        for f in ("decoder.onnx", "encoder.onnx"):
            store_float16(out / f)
    return {"decoder": describe_onnx(out / "decoder.onnx"), "encoder": describe_onnx(out / "encoder.onnx")}


def manifest(model: Codec, graphs: dict, out: Path, name: str, version: str, description: str) -> dict:
    c = model.c
    dec, enc = graphs["decoder"], graphs["encoder"]
    return {
        "schema": "banter.model/1",
        "name": name,
        "kind": "codec",
        "version": version,
        "description": description,
        "files": {"model": "decoder.onnx", "encoder": "encoder.onnx"},
        "sha256": {f: sha256(out / f) for f in ("decoder.onnx", "encoder.onnx")},
        "opset": dec["opset"],
        "inputs": dec["inputs"],
        "outputs": dec["outputs"],
        "rates": {"sample_rate_hz": c.sample_rate, "frames_per_second": c.frame_rate},
        "codec": {
            "contract": "rvq-codec/1",
            "codebooks": c.codebooks,
            "codebook_size": c.codebook_size,
            "frame_samples": c.frame_hop,
            "absent_token": c.codebook_size,
            "decoder": {
                "codes": "codes",
                "audio": "audio",
                "state": {"input": "state", "output": "next_state", "size": model.decoder.state_size()},
            },
            "encoder": {"file": "encoder", "audio": "audio", "codes": "codes", "inputs": enc["inputs"], "outputs": enc["outputs"]},
            "lookahead_ms": 0,
        },
    }


def parity_cases(model: Codec) -> list[dict]:
    x, rate = read_wav(REPO_ROOT / PARITY_WAV)
    assert rate == model.c.sample_rate
    n = PARITY_FRAMES * model.c.frame_hop
    audio = torch.from_numpy(x[:n].astype(np.float32))[None]
    with torch.no_grad():
        codes = model.encode(audio)
        whole, _ = model.decode(codes)
        fewer = codes.clone()
        fewer[:, 2:] = model.c.codebook_size
        coarse, _ = model.decode(fewer)
    return [
        {"name": "greeting, all codebooks", "wav": PARITY_WAV, "samples": n, "codes": codes[0].tolist(), "audio": [round(v, 7) for v in whole[0].tolist()]},
        {"name": "greeting, first 2 codebooks", "codes": fewer[0].tolist(), "audio": [round(v, 7) for v in coarse[0].tolist()]},
    ]


def export_tiny(out: Path) -> None:
    torch.manual_seed(3)
    model = Codec(TINY).eval()
    for book in model.rvq.books:  # spread the entries so that encoding uses many of them
        book.embed.copy_(torch.randn(book.embed.shape))
    out.mkdir(parents=True, exist_ok=True)
    graphs = export_graphs(model, out)
    m = manifest(model, graphs, out, "tiny-codec", "0.0.1", "Random, tiny banter-codec graphs: a test fixture, not a codec")
    write_json(out / "manifest.json", m)
    write_parity(out / "parity.json", "tiny-codec", 1e-4, parity_cases(model))
    print(f"wrote {out}: {sum((out / f).stat().st_size for f in ('decoder.onnx', 'encoder.onnx'))} bytes", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=RUNS_ROOT / "codec" / "final.pt")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--no-eval", action="store_true", help="skip the quality evaluation and the card")
    ap.add_argument("--tiny", type=Path, help="export the random tiny test fixture to this folder instead")
    args = ap.parse_args()
    if args.tiny:
        export_tiny(args.tiny)
        return
    t0 = time.time()
    model, state = load_codec(args.checkpoint)
    round_weights_fp16(model)  # the graphs store float16 weights: parity and metrics use the same
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    graphs = export_graphs(model, out, fp16=True)
    c = model.c
    desc = f"RVQ speech codec: {c.codebooks} codebooks x {c.codebook_size} at {c.frame_rate:g} Hz, 16 kHz, causal streaming decoder"
    write_json(out / "manifest.json", manifest(model, graphs, out, "banter-codec", args.version, desc))
    write_parity(out / "parity.json", "banter-codec", 1e-5, parity_cases(model))
    training = {"step": state["step"], "args": state["args"], "config": c.to_json()}
    write_json(out / "training.json", training)
    print(f"exported in {time.time() - t0:.0f} s", flush=True)
    if args.no_eval:
        return
    subprocess.run(["npx", "tsx", "eval/codec/quality.ts", "--model", str(out), "--out", str(out / "metrics.json")], cwd=REPO_ROOT, check=True)
    from codec.card import write_card  # noqa: E402

    write_card(out, json.loads((out / "metrics.json").read_text()), training)


if __name__ == "__main__":
    main()
