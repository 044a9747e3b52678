"""The streaming CTC recognizer: causal conv subsampling + unidirectional GRU + linear CTC head.

Everything is causal, so chunked inference with the carried state equals a run over the whole
utterance (no look-ahead beyond the 25 ms fbank window), and the cost per chunk does not grow
with the utterance. Feature normalization (global mean and std from the training data) is
part of the graph, so the server feeds raw fbank frames.

Streaming graph (ONNX): feats [1, T, 80] (T even), conv_cache [1, 2, 80], state [L, 1, H]
  -> logits [1, T/2, V] (log-probabilities), conv_cache_out, state_out.
"""
from __future__ import annotations

import torch
from torch import nn

from asr.text import VOCAB

FEAT_DIM = 80
SUBSAMPLE = 2
CONV_CONTEXT = 2  # past frames the first convolution needs (kernel 3, causal)


class StreamingCtc(nn.Module):
    def __init__(self, hidden: int = 320, layers: int = 3, conv_channels: int = 256):
        super().__init__()
        self.hidden, self.layers = hidden, layers
        self.register_buffer("mean", torch.zeros(FEAT_DIM))
        self.register_buffer("std", torch.ones(FEAT_DIM))
        # Causal in time: kernel 3 over the current frame and the two before it, stride 2.
        self.conv = nn.Conv1d(FEAT_DIM, conv_channels, kernel_size=3, stride=SUBSAMPLE)
        self.proj = nn.Linear(conv_channels, hidden)
        self.gru = nn.GRU(hidden, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, len(VOCAB))

    def initial(self, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(batch, CONV_CONTEXT, FEAT_DIM), torch.zeros(self.layers, batch, self.hidden)

    def forward(
        self, feats: torch.Tensor, conv_cache: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """feats [B, T, 80] with T even; returns log-probs [B, T/2, V] and the caches for the next chunk."""
        x = (feats - self.mean) / self.std
        x = torch.cat([conv_cache, x], dim=1)  # [B, 2 + T, 80]
        new_cache = x[:, -CONV_CONTEXT:, :]
        # Output frame j sees input frames 2j-2+2 .. 2j+2 of the padded stream: inputs 2j-2..2j (causal).
        y = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)  # [B, T/2, C]
        y = torch.relu(self.proj(y))
        y, new_state = self.gru(y, state)
        return torch.log_softmax(self.head(y), dim=-1), new_cache, new_state

    def output_frames(self, input_frames: torch.Tensor) -> torch.Tensor:
        return input_frames // SUBSAMPLE
