"""banter's speaker encoder: a small ECAPA-like TDNN, fbank frames in, L2-normalized embedding out.

Input: (batch, frames, 80) Kaldi fbank (10 ms hop), mean-normalized over time by the caller
(the manifest says `cmn: true`, as WeSpeaker's exports expect). Output: (batch, dim) unit
vectors, compared by cosine. The graph keeps only what the server runs: the AAM-softmax head
used in training is a separate module and is not exported.

Shape, after ECAPA-TDNN (Desplanques et al., 2020) made smaller for one CPU core: a 5-wide
input convolution, three residual blocks of dilated convolution + 1x1 convolution with
squeeze-excitation, the blocks' outputs concatenated (multi-layer feature aggregation), then
attentive statistics pooling (weighted mean and standard deviation over time) and a linear
projection.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, bottleneck: int = 64):
        super().__init__()
        self.down = nn.Conv1d(channels, bottleneck, 1)
        self.up = nn.Conv1d(bottleneck, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=2, keepdim=True)
        return x * torch.sigmoid(self.up(F.relu(self.down(s))))


class Block(nn.Module):
    """Dilated conv -> 1x1 conv -> squeeze-excitation, with a residual path."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation)
        self.bn1 = nn.BatchNorm1d(channels)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.bn2 = nn.BatchNorm1d(channels)
        self.se = SqueezeExcite(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn1(F.relu(self.conv(x)))
        y = self.bn2(F.relu(self.mix(y)))
        return x + self.se(y)


class AttentiveStatsPool(nn.Module):
    """Mean and standard deviation over time, weighted per channel by a learned attention."""

    def __init__(self, channels: int, hidden: int = 128):
        super().__init__()
        self.attn = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.softmax(self.attn(x), dim=2)
        mean = (x * w).sum(dim=2)
        var = (x * x * w).sum(dim=2) - mean * mean
        return torch.cat([mean, torch.sqrt(var.clamp(min=1e-5))], dim=1)


class SpeakerEncoder(nn.Module):
    def __init__(self, mels: int = 80, channels: int = 192, dim: int = 192, dilations: tuple[int, ...] = (2, 3, 4)):
        super().__init__()
        self.config = {"mels": mels, "channels": channels, "dim": dim, "dilations": list(dilations)}
        self.inp = nn.Conv1d(mels, channels, 5, padding=2)
        self.bn0 = nn.BatchNorm1d(channels)
        self.blocks = nn.ModuleList(Block(channels, d) for d in dilations)
        agg = channels * len(dilations)
        self.mfa = nn.Conv1d(agg, agg, 1)
        self.pool = AttentiveStatsPool(agg)
        self.bn_pool = nn.BatchNorm1d(2 * agg)
        self.proj = nn.Linear(2 * agg, dim)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.bn0(F.relu(self.inp(feats.transpose(1, 2))))
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        x = F.relu(self.mfa(torch.cat(outs, dim=1)))
        e = self.proj(self.bn_pool(self.pool(x)))
        return F.normalize(e, dim=1)


class AamSoftmax(nn.Module):
    """Additive angular margin softmax (ArcFace): cos(theta + m) for the true class, scaled by s."""

    def __init__(self, dim: int, classes: int, scale: float = 30.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, dim) * 0.01)
        self.scale = scale

    def forward(self, emb: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
        cos = F.linear(emb, F.normalize(self.weight, dim=1)).clamp(-1 + 1e-7, 1 - 1e-7)
        sin = torch.sqrt(1 - cos * cos)
        target = cos * math.cos(margin) - sin * math.sin(margin)
        # Past pi - m, cos(theta + m) would rise again; fall back to a linear penalty (ArcFace's rule).
        target = torch.where(cos > math.cos(math.pi - margin), target, cos - math.sin(math.pi - margin) * margin)
        onehot = F.one_hot(labels, cos.shape[1]).bool()
        logits = torch.where(onehot, target, cos) * self.scale
        return F.cross_entropy(logits, labels)


def cmn(feats: torch.Tensor) -> torch.Tensor:
    """Mean normalization over time, per utterance (what the server does before the graph)."""
    return feats - feats.mean(dim=1, keepdim=True)
