"""A tiny random-weight recognizer in banter's ASR folder layout, for the TypeScript loader's tests
(server/asr/testdata/tiny-ctc/). Its weights mean nothing; its contract and its numbers are real.

    /usr/bin/python3 models/training/asr/make_test_model.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from asr.export import write_model_folder  # noqa: E402
from asr.model import StreamingCtc  # noqa: E402
from lib.common import REPO_ROOT  # noqa: E402


def main() -> None:
    torch.manual_seed(0)
    model = StreamingCtc(hidden=16, layers=2, conv_channels=8).eval()
    with torch.no_grad():
        model.mean.fill_(5.0)
        model.std.fill_(2.0)
    write_model_folder(model, REPO_ROOT / "server/asr/testdata/tiny-ctc", "tiny-ctc", "0.0.1")


if __name__ == "__main__":
    main()
