"""Reproducibility and paths shared by every training script."""
from __future__ import annotations

import os
import random
from pathlib import Path

# One BLAS thread unless the caller says otherwise; only effective when this module is imported
# before numpy (scripts that import numpy first set it themselves, as asr/train.py does).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
TRAINING_ROOT = REPO_ROOT / "models" / "training"
RUNS_ROOT = TRAINING_ROOT / "runs"  # git-ignored: checkpoints, logs, scratch


def data_root() -> Path:
    """The shared data sets (never committed). Override with BANTER_DATA."""
    env = os.environ.get("BANTER_DATA")
    root = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    if not root.is_dir():
        raise SystemExit(f"data folder {root} not found; set BANTER_DATA to the folder holding text/, speech/ ...")
    return root


def setup_torch(seed: int, threads: int = 1) -> None:
    """One thread (the machines here are shared) and every seed fixed, so reruns give the same model."""
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def warmup_cosine(step: int, total: int, peak: float, warmup: int, floor: float) -> float:
    """Learning rate: linear warm-up to `peak` over `warmup` steps, then cosine decay to `floor` at `total`."""
    import math

    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))


def save_checkpoint(path: Path, state: dict, rng: np.random.Generator) -> None:
    """Write a training state atomically (a stopped run never leaves half a file), with the
    numpy generator's and torch's random states, so a resumed run continues the same run."""
    tmp = path.with_suffix(".tmp")
    torch.save({**state, "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, tmp)
    tmp.rename(path)


def load_checkpoint(path: Path, rng: np.random.Generator) -> dict | None:
    """The state `save_checkpoint` wrote (random states restored into `rng` and torch), or None."""
    if not path.exists():
        return None
    state = torch.load(path)
    rng.bit_generator.state = state["rng"]
    torch.set_rng_state(state["torch_rng"])
    return state
