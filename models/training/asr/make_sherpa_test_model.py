"""A tiny random-weight model in sherpa-onnx's streaming zipformer2-CTC format, for the TypeScript
sherpa backend's tests (server/asr/testdata/tiny-sherpa-zipformer2-ctc/). Its weights mean
nothing; its contract is the one sherpa-onnx's loader reads:

- sherpa-onnx/csrc/online-zipformer2-ctc-model.cc: the metadata keys (encoder_dims,
  query_head_dims, value_head_dims, num_heads, num_encoder_layers, cnn_module_kernels,
  left_context_len, T, decode_chunk_len; model_type "zipformer2" picks the class), and the
  state list sherpa builds for a fresh stream and feeds back after every chunk: per encoder layer
  cached_key (left, N, key_dim), cached_nonlin_attn (1, N, left, 3*dim/4), cached_val1 and
  cached_val2 (left, N, value_dim), cached_conv1 and cached_conv2 (N, dim, kernel/2); then
  embed_states (N, 128, 3, 19) and processed_lens (N,) int64. Inputs are fed by position
  (x first, then the states), outputs read by position (log_probs first, then the next states).
- sherpa-onnx/csrc/online-recognizer-ctc-impl.h: chunks of T feature frames (80-dim fbank),
  advancing by decode_chunk_len; log_probs (N, T', vocab) with a static vocab dim; its timestamps
  take an output frame as 40 ms (10 ms hop x subsampling 4), so T' = decode_chunk_len / 4 here.
- sherpa-onnx/csrc/online-ctc-greedy-search-decoder.cc: argmax per frame, <blk> from tokens.txt.

The blank's score rises as the chunk's mean log-mel energy falls, so silence decodes to nothing
and speech to (meaningless) tokens: a test can tell the two apart.

    /usr/bin/python3 models/training/asr/make_sherpa_test_model.py
"""
from __future__ import annotations

from pathlib import Path

import onnx
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[3] / "server/asr/testdata/tiny-sherpa-zipformer2-ctc"

FEAT = 80  # sherpa's default fbank dim
DIM = 16  # encoder_dims
HEADS = 1
QHD = 4  # query_head_dims
VHD = 4  # value_head_dims
LEFT = 8  # left_context_len
KERNEL = 3  # cnn_module_kernels: the conv caches hold kernel // 2 frames
CHUNK = 32  # decode_chunk_len: feature frames per step
T = 45  # feature frames per call: the chunk plus 13 frames of lookahead, as icefall's chunk-16 exports
OUT_FRAMES = CHUNK // 4
NONLIN = 3 * DIM // 4
# Mean log-mel energy of a chunk below which blank wins. sherpa computes fbank on samples in
# [-1, 1] as given (normalize_samples), as the lhotse features icefall trains on: ±1 LSB dither
# comes to about -18, speech at -23 dBFS to about -10..-5.
SILENCE_BELOW = -14.0

TOKENS = [
    "<blk>", "<sos/eos>", "<unk>", "▁I", "▁LIKE", "▁TO", "▁BOOK", "▁A", "▁TABLE", "▁FOR",
    "▁TWO", "▁SEVEN", "S", "ED", "ING", "ER", "'D", "LY", "▁", "E",
]  # fmt: skip
VOCAB = len(TOKENS)

STATE_NAMES = [
    "cached_key_0",
    "cached_nonlin_attn_0",
    "cached_val1_0",
    "cached_val2_0",
    "cached_conv1_0",
    "cached_conv2_0",
    "embed_states",
    "processed_lens",
]
# The axis of each state that is the batch (sherpa's StackStates: 1 for the attention caches, 0 for the rest).
STATE_BATCH_AXIS = [1, 1, 1, 1, 0, 0, 0, 0]


class TinyZipformer2Ctc(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(4 * FEAT, DIM)
        self.lookahead = nn.Linear(FEAT, DIM)
        self.q = nn.Linear(DIM, QHD * HEADS)
        self.k = nn.Linear(DIM, QHD * HEADS)
        self.v1 = nn.Linear(DIM, VHD * HEADS)
        self.v2 = nn.Linear(DIM, VHD * HEADS)
        self.attn_out = nn.Linear(VHD * HEADS, DIM)
        self.nonlin = nn.Linear(DIM, NONLIN)
        self.nonlin_out = nn.Linear(NONLIN, DIM)
        self.conv1 = nn.Linear(DIM, DIM)
        self.conv2 = nn.Linear(DIM, DIM)
        self.out = nn.Linear(DIM, VOCAB)

    def forward(
        self,
        x: torch.Tensor,  # (N, T, 80)
        cached_key: torch.Tensor,  # (LEFT, N, QHD*HEADS)
        cached_nonlin_attn: torch.Tensor,  # (1, N, LEFT, NONLIN)
        cached_val1: torch.Tensor,  # (LEFT, N, VHD*HEADS)
        cached_val2: torch.Tensor,  # (LEFT, N, VHD*HEADS)
        cached_conv1: torch.Tensor,  # (N, DIM, KERNEL // 2)
        cached_conv2: torch.Tensor,  # (N, DIM, KERNEL // 2)
        embed_states: torch.Tensor,  # (N, 128, 3, 19)
        processed_lens: torch.Tensor,  # (N,) int64
    ):
        n = x.shape[0]
        chunk = x[:, :CHUNK, :]
        energy = chunk.reshape(n, OUT_FRAMES, 4, FEAT).mean(dim=(2, 3))  # (N, T')
        h = torch.tanh(self.embed(chunk.reshape(n, OUT_FRAMES, 4 * FEAT) / 10.0))
        h = h + torch.tanh(self.lookahead(x[:, CHUNK:, :].mean(dim=1) / 10.0)).unsqueeze(1)
        h = h + cached_conv1.mean(dim=2).unsqueeze(1) + cached_conv2.mean(dim=2).unsqueeze(1)

        # Attention over the cached left context and this chunk.
        k = torch.cat([cached_key, self.k(h).transpose(0, 1)], dim=0)  # (LEFT+T', N, Dk)
        v1 = torch.cat([cached_val1, self.v1(h).transpose(0, 1)], dim=0)
        scores = torch.softmax(torch.einsum("ntd,snd->nts", self.q(h), k), dim=-1)
        h = h + self.attn_out(torch.einsum("nts,snd->ntd", scores, v1))
        v2 = torch.cat([cached_val2, self.v2(h).transpose(0, 1)], dim=0)
        h = h + v2.mean(dim=0).unsqueeze(1).mean(dim=-1, keepdim=True)

        nonlin = torch.cat([cached_nonlin_attn, self.nonlin(h).unsqueeze(0)], dim=2)  # (1, N, LEFT+T', NONLIN)
        h = h + self.nonlin_out(torch.tanh(nonlin[0].mean(dim=1))).unsqueeze(1)

        logits = self.out(h)
        blank_boost = 2.0 * (SILENCE_BELOW - energy)  # (N, T')
        logits = torch.cat([logits[..., :1] + blank_boost.unsqueeze(-1), logits[..., 1:]], dim=-1)
        log_probs = torch.log_softmax(logits, dim=-1)

        last = h[:, -1, :]  # (N, DIM)
        new_embed = 0.5 * embed_states + 0.01 * chunk[:, -3:, :19].unsqueeze(1)
        return (
            log_probs,
            k[-LEFT:],
            nonlin[:, :, -LEFT:, :],
            v1[-LEFT:],
            v2[-LEFT:],
            torch.tanh(self.conv1(last)).unsqueeze(-1),
            torch.tanh(self.conv2(last)).unsqueeze(-1),
            new_embed,
            processed_lens + OUT_FRAMES,
        )


def initial_states(n: int) -> list[torch.Tensor]:
    return [
        torch.zeros(LEFT, n, QHD * HEADS),
        torch.zeros(1, n, LEFT, NONLIN),
        torch.zeros(LEFT, n, VHD * HEADS),
        torch.zeros(LEFT, n, VHD * HEADS),
        torch.zeros(n, DIM, KERNEL // 2),
        torch.zeros(n, DIM, KERNEL // 2),
        torch.zeros(n, 128, 3, 19),
        torch.zeros(n, dtype=torch.int64),
    ]


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = TinyZipformer2Ctc().eval()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "model.onnx"

    x = torch.zeros(1, T, FEAT)
    dynamic = {"x": {0: "N"}, "log_probs": {0: "N"}}
    for name, axis in zip(STATE_NAMES, STATE_BATCH_AXIS):
        dynamic[name] = {axis: "N"}
        dynamic[f"new_{name}"] = {axis: "N"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (x, *initial_states(1)),
            str(path),
            input_names=["x", *STATE_NAMES],
            output_names=["log_probs", *(f"new_{s}" for s in STATE_NAMES)],
            dynamic_axes=dynamic,
            opset_version=13,
        )

    proto = onnx.load(str(path))
    onnx.helper.set_model_props(
        proto,
        {
            "model_type": "zipformer2",
            "version": "1",
            "model_author": "banter (random weights: a loader test fixture)",
            "comment": "tiny streaming zipformer2-CTC contract, made by models/training/asr/make_sherpa_test_model.py",
            "encoder_dims": str(DIM),
            "query_head_dims": str(QHD),
            "value_head_dims": str(VHD),
            "num_heads": str(HEADS),
            "num_encoder_layers": "1",
            "cnn_module_kernels": str(KERNEL),
            "left_context_len": str(LEFT),
            "T": str(T),
            "decode_chunk_len": str(CHUNK),
        },
    )
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    (OUT / "tokens.txt").write_text("".join(f"{t} {i}\n" for i, t in enumerate(TOKENS)), encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size} bytes) and tokens.txt ({VOCAB} tokens)")


if __name__ == "__main__":
    main()
