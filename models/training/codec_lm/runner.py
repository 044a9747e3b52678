"""Decoding with the step contract (model.StepGraph), pass by pass: the reference for the
TypeScript runner (server/tts/codec-lm/), and the proof that incremental decoding computes
what training computed (tests/test_codec_lm.py feeds known tokens and compares logits).

Each pass is a list of rows (what `layout` would hold at those positions) and the cells their
heads decode; `known` holds the tokens decoded so far: known[(frame, level)].
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from codec_lm.model import LmConfig, StepGraph, empty_cache
from codec_lm.patterns import Spec, plan


@dataclass
class Pass:
    rows: list[list[int]]
    positions: list[int]
    depth: list[int]
    pass_mask: list[list[int]]
    n_cache: int
    decodes: list[tuple[int, int, tuple[int, int]]]  # (row, head, (frame, level))


def prompt_pass(c: LmConfig, phonemes: list[int]) -> Pass:
    rows = [[p] + [c.empty] * c.codebooks for p in phonemes]
    if c.pattern == "stack-delay":
        rows.append([-1, c.bos] + [c.empty] * (c.codebooks - 1))
    n = len(rows)
    return Pass(rows, list(range(n)), [0] * n, [[int(j <= i) for j in range(n)] for i in range(n)], n, [])


def audio_pass(c: LmConfig, P: int, s: int, frames: int, known: dict, end: int | None = None) -> Pass:
    """Pass s of a plan over `frames` frames after a prompt of P - 1 phonemes (P counts the BOS
    position, as in `layout`). `end`: the EOS frame once known; frames after it do not exist
    (training plans over the EOS frame and no more), so their cells are left out."""
    K = c.codebooks

    def live(cell):
        return cell if cell is not None and (end is None or cell[0] <= end) else None

    if c.pattern == "flat":
        t, k = divmod(s, K)
        if s == 0:
            row = [-1, c.bos] + [c.empty] * (K - 1)
        else:
            pt, pk = divmod(s - 1, K)
            row = [-1] + [c.empty] * K
            row[1 + pk] = known[(pt, pk)]
        return Pass([row], [P - 1 + s], [1 + k], [[1]], 1, [(0, k, (t, k))])
    if c.pattern == "delay":
        passes = [[live(x) for x in p] for p in plan(Spec("delay"), K, frames)]
        if s == 0:
            row = [-1, c.bos] + [c.empty] * (K - 1)
        else:
            row = [-1] + [known[cell] if cell is not None else c.empty for cell in passes[s - 1]]
        decodes = [(0, k, cell) for k, cell in enumerate(passes[s]) if cell is not None]
        return Pass([row], [P - 1 + s], [0], [[1]], 1, decodes)
    passes = [[live(x) for x in p] for p in plan(Spec("stack-delay", schedule=c.schedule), K, frames)]
    rows, pos, depth, decodes = [], [], [], []
    n_stack = 0
    if s > 0 and passes[s - 1][K - 1] is not None:  # the frame the last pass completed
        f = passes[s - 1][K - 1][0]
        rows.append([-1] + [known[(f, k)] for k in range(K)])
        pos.append(P + f)
        depth.append(0)
        n_stack = 1
    for d, cell in enumerate(passes[s]):
        if cell is None:
            continue
        f = cell[0]
        rows.append([-1] + [known[(f, k)] if k < d else c.empty for k in range(K)])
        pos.append(P + f)
        depth.append(1 + d)
        decodes.append((len(rows) - 1, d, cell))
    n = len(rows)
    mask = [[int(i == j or j < n_stack or (i >= n_stack and j >= n_stack)) for j in range(n)] for i in range(n)]
    return Pass(rows, pos, depth, mask, n_stack, decodes)


def pass_count(c: LmConfig, frames: int) -> int:
    return frames * c.codebooks if c.pattern == "flat" else frames + c.codebooks - 1


def step(graph: StepGraph, p: Pass, cache: list[torch.Tensor]):
    t = lambda x: torch.tensor([x], dtype=torch.long)  # noqa: E731
    out = graph(t(p.rows), t(p.positions), t(p.depth), t(p.pass_mask), torch.tensor(p.n_cache), *cache)
    return out[0][0], out[1][0], list(out[2:])


@torch.no_grad()
def teacher_forced_logits(graph: StepGraph, phonemes: list[int], codes: torch.Tensor, max_frames: int | None = None) -> dict:
    """Logits of every cell, decoding pass by pass with the true tokens: {(frame, level): logits}.
    max_frames: plan over this many frames, as inference does before it knows where EOS falls
    (the EOS frame is then passed as `end`); by default exactly the T + 1 frames of `layout`."""
    c = graph.model.c
    K, T = codes.shape
    frames = max_frames or T + 1  # the EOS frame, as in `layout`
    known = {(t, k): int(codes[k, t]) for t in range(T) for k in range(K)}
    known[(T, 0)] = c.eos
    for k in range(1, K):
        known[(T, k)] = c.empty
    P = len(phonemes) + 1
    cache = empty_cache(c)
    _, _, cache = step(graph, prompt_pass(c, phonemes), cache)
    out = {}
    end = T if max_frames else None
    for s in range(pass_count(c, T + 1)):
        p = audio_pass(c, P, s, frames, known, end)
        logits, _, cache = step(graph, p, cache)
        for row, head, cell in p.decodes:
            out[cell] = logits[row, head]
    return out
