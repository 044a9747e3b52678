#!/bin/sh
# Installs what training needs, from Debian only (no PyPI, no model hub).
# libopenblas0-pthread replaces the reference BLAS (about 24x faster here).
set -eu
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  python3 python3-numpy python3-torch python3-torchaudio python3-onnx python3-sklearn libopenblas0-pthread
/usr/bin/python3 - <<'PY'
import torch, torchaudio, onnx, numpy, sklearn
print("torch", torch.__version__, "onnx", onnx.__version__, "numpy", numpy.__version__, "sklearn", sklearn.__version__)
PY
