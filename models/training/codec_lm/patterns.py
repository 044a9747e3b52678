"""Codebook patterns for the codec LM's training: the twin of server/tts/patterns/patterns.ts
(same plans, pass for pass; tests/test_codec_lm.py checks both against one fixture).

A plan is a list of passes, each a list of streams, each the (frame, codebook) cell that
stream decodes in that pass or None. build lays [K, T] tokens along a plan; revert reads
them back. Kinds: parallel, delay (delays per codebook, default k), flat, coarse-first
(VALL-E), stack (the flat order, decoded from stacks), stack-delay (K streams; pass s,
stream d decodes level d of the frame a block-wise schedule puts at s - d).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

Cell = tuple[int, int]  # (frame, codebook)

KINDS = ("parallel", "delay", "flat", "coarse-first", "stack", "stack-delay")


@dataclass(frozen=True)
class Spec:
    kind: str
    delays: Optional[tuple[int, ...]] = None
    schedule: Optional[tuple[int, ...]] = None


def scheduled_frame(schedule: Sequence[int], frames: int, i: int) -> int:
    n = len(schedule)
    start = (i // n) * n
    size = min(n, frames - start)
    if size == n:
        return start + schedule[i - start]
    order = [v for v in schedule if v < size]
    return start + order[i - start]


def plan(spec: Spec, K: int, T: int) -> list[list[Optional[Cell]]]:
    if K < 1 or T < 0:
        raise ValueError(f"K = {K}, T = {T}: need K >= 1 and T >= 0")
    passes: list[list[Optional[Cell]]] = []
    if spec.kind == "parallel":
        passes = [[(t, k) for k in range(K)] for t in range(T)]
    elif spec.kind in ("flat", "stack"):
        passes = [[(t, k)] for t in range(T) for k in range(K)]
    elif spec.kind == "delay":
        delays = spec.delays if spec.delays is not None else tuple(range(K))
        if len(delays) != K or any(d < 0 for d in delays):
            raise ValueError(f"delays {delays} must be K = {K} non-negative integers")
        span = T + max(delays) if T else 0
        passes = [[(s - d, k) if 0 <= s - d < T else None for k, d in enumerate(delays)] for s in range(span)]
    elif spec.kind == "coarse-first":
        passes = [[(t, 0)] for t in range(T)]
        if T:
            passes += [[(t, k) for t in range(T)] for k in range(1, K)]
    elif spec.kind == "stack-delay":
        schedule = spec.schedule if spec.schedule is not None else (0,)
        if sorted(schedule) != list(range(len(schedule))):
            raise ValueError(f"schedule {schedule} is not a permutation")
        span = T + K - 1 if T else 0
        passes = [
            [(scheduled_frame(schedule, T, s - d), d) if 0 <= s - d < T else None for d in range(K)] for s in range(span)
        ]
    else:
        raise ValueError(f"unknown pattern {spec.kind}")
    return passes


def build(passes: list[list[Optional[Cell]]], codes: Sequence[Sequence[int]], empty: int) -> list[list[int]]:
    return [[codes[c[1]][c[0]] if c is not None else empty for c in p] for p in passes]


def revert(passes: list[list[Optional[Cell]]], tokens: Sequence[Sequence[int]], K: int, T: int) -> list[list[int]]:
    codes = [[-1] * T for _ in range(K)]
    for p, row in zip(passes, tokens):
        for c, tok in zip(p, row):
            if c is not None:
                codes[c[1]][c[0]] = tok
    return codes


FIXTURE_CASES = (
    (Spec("parallel"), 3, 4),
    (Spec("flat"), 2, 3),
    (Spec("stack"), 3, 2),
    (Spec("coarse-first"), 3, 4),
    (Spec("delay"), 4, 5),
    (Spec("delay", delays=(0, 2, 3)), 3, 4),
    (Spec("stack-delay"), 4, 5),
    (Spec("stack-delay", schedule=(0, 2, 4, 1, 3, 5)), 3, 8),
)


def fixture() -> list[dict]:
    """The plans both twins must produce (server/tts/patterns/testdata/plans.json)."""
    out = []
    for spec, K, T in FIXTURE_CASES:
        s: dict = {"kind": spec.kind}
        if spec.delays is not None:
            s["delays"] = list(spec.delays)
        if spec.schedule is not None:
            s["schedule"] = list(spec.schedule)
        passes = [[None if c is None else {"frame": c[0], "codebook": c[1]} for c in p] for p in plan(spec, K, T)]
        out.append({"spec": s, "codebooks": K, "frames": T, "passes": passes})
    return out


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from lib.common import REPO_ROOT

    path = REPO_ROOT / "server" / "tts" / "patterns" / "testdata" / "plans.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fixture(), indent=1) + "\n")
    print(f"wrote {path}")
