"""A small GPT decoder for the TDM stream, and its export wrapper in the Optimum layout.

Pre-norm transformer, learned absolute positions (the engine restarts positions at 0 when it
drops old slices and recomputes, exactly like the training windows), tied input/output
embeddings. The export wrapper takes and returns the KV cache as Optimum decoders do:
input_ids, attention_mask [batch, past + seq], position_ids, past_key_values.N.key/value
[batch, heads, past, head_dim] -> logits, present.N.key/value [batch, heads, past + seq, head_dim].
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class Config:
    vocab: int = 4096
    ctx: int = 512
    layers: int = 4
    dim: int = 256
    heads: int = 4
    ff: int = 1024
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.heads = c.heads
        self.ln1 = nn.LayerNorm(c.dim)
        self.qkv = nn.Linear(c.dim, 3 * c.dim)
        self.proj = nn.Linear(c.dim, c.dim)
        self.ln2 = nn.LayerNorm(c.dim)
        self.fc = nn.Linear(c.dim, c.ff)
        self.out = nn.Linear(c.ff, c.dim)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, mask, past_k=None, past_v=None):
        b, s, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, s, h, d // h).transpose(1, 2)
        k = k.view(b, s, h, d // h).transpose(1, 2)
        v = v.view(b, s, h, d // h).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h))
        att = att.masked_fill(~mask, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (self.drop(att) @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.drop(self.proj(y))
        x = x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))
        return x, k, v


class TdmLM(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.config = c
        self.tok = nn.Embedding(c.vocab, c.dim)
        self.pos = nn.Embedding(c.ctx, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.ln = nn.LayerNorm(c.dim)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Training: ids [batch, seq] from position 0 -> logits [batch, seq, vocab]."""
        return self.hidden(ids) @ self.tok.weight.T

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [batch, seq] from position 0 -> final hidden states [batch, seq, dim]."""
        s = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(s, device=ids.device))[None]
        mask = torch.ones(s, s, dtype=torch.bool, device=ids.device).tril()[None, None]
        for blk in self.blocks:
            x, _, _ = blk(x, mask)
        return self.ln(x)

    def step(self, ids, attention_mask, position_ids, past: list[tuple[torch.Tensor, torch.Tensor]]):
        """Incremental: new ids after `past` (list of (key, value) per layer)."""
        s = ids.shape[1]
        p = past[0][0].shape[2]
        x = self.tok(ids) + self.pos(position_ids)
        q_pos = torch.arange(s, device=ids.device)[:, None] + p
        k_pos = torch.arange(p + s, device=ids.device)[None, :]
        causal = (k_pos <= q_pos)[None, None]
        keep = attention_mask.bool()[:, None, None, :]
        mask = causal & keep
        present = []
        for blk, (pk, pv) in zip(self.blocks, past):
            x, k, v = blk(x, mask, pk, pv)
            present.append((k, v))
        # einsum, not `@ weight.T`: the exporter folds a transpose into a second copy of the tied
        # embedding (4 MB more in model.onnx); Einsum reads the one initializer
        return torch.einsum("bsd,vd->bsv", self.ln(x), self.tok.weight), present

    def params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class OptimumWrapper(nn.Module):
    """Flat tensors in and out, in the Optimum decoder-with-past layout, for torch.onnx.export."""

    def __init__(self, model: TdmLM):
        super().__init__()
        self.model = model
        self.layers = model.config.layers

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.layers)]
        logits, present = self.model.step(input_ids, attention_mask, position_ids, past)
        flat = []
        for k, v in present:
            flat.extend([k, v])
        return (logits, *flat)


def io_names(layers: int) -> tuple[list[str], list[str]]:
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits"]
    for i in range(layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return inputs, outputs
