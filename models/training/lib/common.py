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
