"""Tiny stand-ins for external end-of-turn models, for loader tests (no model hub is reachable here).

    /usr/bin/python3 models/training/eot/make_contract_fakes.py

Writes server/turn-taking/eot-testdata/{livekit-like,fireredchat-like}/ (a few KB each). Each has the
I/O contract of the real model family and an output that is a simple, checkable function of its input:
- livekit-like: input_ids [1, seq] -> eou_probability [1, seq] = sigmoid((id - 50) / 10) per token,
  so the last element tells which token the loader fed last.
- fireredchat-like: input_ids, attention_mask [1, 128] -> logits [1, 2] = [0, n/10 - 1] with n the
  number of unmasked tokens, so softmax(...)[-1] = sigmoid(n/10 - 1) tells how many tokens were fed.
These prove the loader's plumbing (text layout, feeds, padding, output transform), not the real
models' tokenizers, chat templates or weights.
"""
from __future__ import annotations

import json
import string
import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.common import REPO_ROOT  # noqa: E402
from lib.export import sha256, write_json  # noqa: E402

OUT = REPO_ROOT / "server" / "turn-taking" / "eot-testdata"
WORDS = "user assistant hello there how can i help you want to book a table for two thanks".split()


def added(tok: str, i: int) -> dict:
    return {"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}


def wordpiece_json(specials: list[str], words: list[str], normalizer: dict | None, pre: dict) -> tuple[dict, int]:
    vocab = list(specials)
    for w in words:
        if w not in vocab:
            vocab.append(w)
    for ch in string.ascii_lowercase + string.digits + "'-":
        vocab += [t for t in (ch, "##" + ch) if t not in vocab]
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(s, i) for i, s in enumerate(specials)],
        "normalizer": normalizer,
        "pre_tokenizer": pre,
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {t: i for i, t in enumerate(vocab)},
        },
    }
    return doc, len(vocab)


def save(folder: Path, graph: onnx.GraphProto, tokenizer: dict, manifest: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="banter fakes")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer, indent=1) + "\n")
    manifest["sha256"] = {"model.onnx": sha256(folder / "model.onnx")}
    write_json(folder / "manifest.json", manifest)


def livekit_like() -> None:
    specials = ["[PAD]", "[UNK]", "<|im_start|>", "<|im_end|>"]
    tok, n = wordpiece_json(specials, WORDS, None, {"type": "WhitespaceSplit"})
    c = lambda name, v: helper.make_tensor(name, TensorProto.FLOAT, [], [v])  # noqa: E731
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
            helper.make_node("Sub", ["f", "c50"], ["s"]),
            helper.make_node("Mul", ["s", "c01"], ["m"]),
            helper.make_node("Sigmoid", ["m"], ["eou_probability"]),
        ],
        "livekit_like",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("eou_probability", TensorProto.FLOAT, ["batch", "sequence"])],
        [c("c50", 50.0), c("c01", 0.1)],
    )
    save(
        OUT / "livekit-like",
        graph,
        tok,
        {
            "schema": "banter.model/1",
            "name": "livekit-like-fake",
            "kind": "eot",
            "version": "0.0.1",
            "description": "Test stand-in with the LiveKit turn-detector contract (not the real model)",
            "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
            "inputs": [{"name": "input_ids", "type": "int64", "shape": ["batch", "sequence"]}],
            "outputs": [{"name": "eou_probability", "type": "float32", "shape": ["batch", "sequence"]}],
            "vocab": {"size": n, "special_tokens": {"pad": "[PAD]", "eos": "<|im_end|>"}},
            "eot": {"contract": "livekit-eou/1", "max_tokens": 128, "threshold": 0.5},
        },
    )


def fireredchat_like() -> None:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    tok, n = wordpiece_json(
        specials,
        WORDS,
        {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        {"type": "BertPreTokenizer"},
    )
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
            helper.make_node("ReduceSum", ["mf", "axes"], ["n"], keepdims=1),
            helper.make_node("Mul", ["n", "c01"], ["n01"]),
            helper.make_node("Sub", ["n01", "c1"], ["end_logit"]),
            helper.make_node("Mul", ["n", "c0"], ["zero"]),
            helper.make_node("Cast", ["input_ids"], ["idf"], to=TensorProto.FLOAT),
            helper.make_node("ReduceSum", ["idf", "axes"], ["idsum"], keepdims=1),
            helper.make_node("Mul", ["idsum", "c0"], ["idzero"]),
            helper.make_node("Add", ["zero", "idzero"], ["keep"]),
            helper.make_node("Concat", ["keep", "end_logit"], ["logits"], axis=1),
        ],
        "fireredchat_like",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        [
            helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
            helper.make_tensor("c01", TensorProto.FLOAT, [], [0.1]),
            helper.make_tensor("c1", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("c0", TensorProto.FLOAT, [], [0.0]),
        ],
    )
    save(
        OUT / "fireredchat-like",
        graph,
        tok,
        {
            "schema": "banter.model/1",
            "name": "fireredchat-like-fake",
            "kind": "eot",
            "version": "0.0.1",
            "description": "Test stand-in with the FireRedChat EoT contract (not the real model)",
            "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
            "inputs": [
                {"name": "input_ids", "type": "int64", "shape": ["batch", "sequence"]},
                {"name": "attention_mask", "type": "int64", "shape": ["batch", "sequence"]},
            ],
            "outputs": [{"name": "logits", "type": "float32", "shape": ["batch", 2]}],
            "vocab": {"size": n, "special_tokens": {"pad": "[PAD]", "unk": "[UNK]"}},
            "eot": {"contract": "fireredchat-eot/1", "max_tokens": 128, "threshold": 0.5},
        },
    )


if __name__ == "__main__":
    livekit_like()
    fireredchat_like()
    print(f"wrote {OUT}")
