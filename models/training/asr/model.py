"""The streaming CTC recognizer: causal conv subsampling + LayerNorm + unidirectional GRU + CTC head.

Everything is causal, so chunked inference with the carried state equals a run over the whole
utterance (no look-ahead beyond the 25 ms fbank window), and the cost per chunk does not grow
with the utterance. Feature normalization (global mean and std from the training data) is
part of the graph, so the server feeds raw fbank frames.

Streaming graph (ONNX): feats [1, T, 80] (T a multiple of the stride S), conv_cache [1, K - S, 80],
state [L, 1, H] -> logits [1, T/S, V] (log-probabilities), conv_cache_out, state_out.

The default stride is 3 (30 ms output frames): the fastest conversational speech in the training
data reads about 22 characters a second, which 33 frames a second still fit with CTC's blanks
between repeats, and the GRU runs a third fewer steps than at 20 ms (0.8 s against 2.8 s a
training step here at the same audio per second; the 20 ms model sat on CTC's all-blank plateau
for 400 steps).
"""
from __future__ import annotations

import torch
from torch import nn

from asr.text import VOCAB

FEAT_DIM = 80


class StreamingCtc(nn.Module):
    def __init__(self, hidden: int = 320, layers: int = 3, conv_channels: int = 256, kernel: int = 5, stride: int = 3):
        super().__init__()
        if kernel < stride:
            raise ValueError("kernel must cover the stride")
        self.hidden, self.layers, self.stride = hidden, layers, stride
        self.context = kernel - stride  # past frames the convolution needs (causal)
        self.register_buffer("mean", torch.zeros(FEAT_DIM))
        self.register_buffer("std", torch.ones(FEAT_DIM))
        # Causal in time: each output frame sees the current stride's frames and `context` before them.
        self.conv = nn.Conv1d(FEAT_DIM, conv_channels, kernel_size=kernel, stride=stride)
        self.proj = nn.Linear(conv_channels, hidden)
        self.norm = nn.LayerNorm(hidden)  # keeps the GRU's input scale fixed: CTC leaves the blank plateau sooner
        self.gru = nn.GRU(hidden, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, len(VOCAB))

    def initial(self, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(batch, self.context, FEAT_DIM), torch.zeros(self.layers, batch, self.hidden)

    def forward(
        self, feats: torch.Tensor, conv_cache: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """feats [B, T, 80] with T a multiple of the stride; returns log-probs [B, T/S, V] and the next chunk's caches."""
        x = (feats - self.mean) / self.std
        x = torch.cat([conv_cache, x], dim=1)  # [B, context + T, 80]
        new_cache = x[:, x.shape[1] - self.context :, :]
        # Output frame j sees inputs S*j - context .. S*j + S - 1: no frame after its own stride.
        y = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)  # [B, T/S, C]
        y = self.norm(torch.relu(self.proj(y)))
        y, new_state = self.gru(y, state)
        return torch.log_softmax(self.head(y), dim=-1), new_cache, new_state

    def output_frames(self, input_frames: torch.Tensor) -> torch.Tensor:
        return input_frames // self.stride
