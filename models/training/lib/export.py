"""ONNX export and parity fixtures shared by every model.

Export with opset 14-17 (torch 1.13 from Debian goes up to 17), check the
graph with onnx.checker, and store inputs + PyTorch outputs next to the model
so the TypeScript side can assert it computes the same numbers.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

OPSET = 17


def export_onnx(
    model: torch.nn.Module,
    example_inputs: tuple[torch.Tensor, ...],
    path: Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int = OPSET,
    constant_folding: bool = True,
) -> dict[str, Any]:
    """Export, check, and return a description of the graph's inputs/outputs for the manifest."""
    if not 14 <= opset <= 17:
        raise ValueError("opset must be in 14..17")
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model,
            example_inputs,
            str(path),
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=constant_folding,
        )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    proto.doc_string = ""
    proto.producer_name = "banter models/training"
    onnx.save(proto, str(path))
    return describe_onnx(path)


def store_float16(path: Path, min_elements: int = 1024) -> int:
    """Store the graph's large float32 weights as float16, each behind a Cast back to float32:
    the file halves, and onnxruntime folds the casts when it loads the graph, so it computes in
    float32 exactly as before (on the float16-rounded weights; round the PyTorch model with
    `round_weights_fp16` before computing parity fixtures). Returns the bytes saved."""
    from onnx import TensorProto, helper, numpy_helper

    before = path.stat().st_size
    proto = onnx.load(str(path))
    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            continue
        name = init.name
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), name + "__fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT, name=name + "__cast"))
    for node in reversed(casts):
        graph.node.insert(0, node)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return before - path.stat().st_size


def round_weights_fp16(model: torch.nn.Module) -> None:
    """Round every float parameter and persistent buffer to float16 precision (kept as float32),
    so PyTorch computes with the weights a `store_float16` graph holds."""
    persistent = set(model.state_dict())
    buffers = [b for n, b in model.named_buffers() if n in persistent and b.dtype == torch.float32]
    with torch.no_grad():
        for t in list(model.parameters()) + buffers:
            t.copy_(t.half().float())


def _dims(value_info: Any) -> list[int | str]:
    out: list[int | str] = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.dim_param else int(d.dim_value))
    return out


_ONNX_TYPES = {1: "float32", 7: "int64", 6: "int32", 9: "bool", 10: "float16"}


def describe_onnx(path: Path) -> dict[str, Any]:
    proto = onnx.load(str(path))
    init = {i.name for i in proto.graph.initializer}
    return {
        "opset": max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": [
            {"name": v.name, "type": _ONNX_TYPES.get(v.type.tensor_type.elem_type, "other"), "shape": _dims(v)}
            for v in proto.graph.input
            if v.name not in init
        ],
        "outputs": [
            {"name": v.name, "type": _ONNX_TYPES.get(v.type.tensor_type.elem_type, "other"), "shape": _dims(v)}
            for v in proto.graph.output
        ],
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json(path: Path, obj: Any) -> None:
    """JSON with full float precision (Python's repr), so parity checks compare against exact values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_parity(path: Path, model_name: str, tolerance: float, cases: list[dict[str, Any]]) -> None:
    """Parity fixture: what the runtime receives (raw text, ids) and what PyTorch computed."""
    write_json(
        path,
        {
            "model": model_name,
            "produced_by": "PyTorch (eval mode, float32) at export time",
            "tolerance": tolerance,
            "cases": cases,
        },
    )
