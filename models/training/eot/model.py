"""The end-of-turn classifier: a small transformer encoder over the trailing tokens.

Input layout (built identically by server/turn-taking/eot.ts):
    [USER|AGENT] context turn ... [SEP] current utterance
left-truncated to the last `max_len` tokens, so the end of the current utterance is always kept.
Positions count backwards from the last token (0 = last), and batches are left-padded, so
"the last word" always has the same position embedding whatever the length. The last
token's final hidden state predicts P(turn complete).
"""
from __future__ import annotations

import math

import torch
from torch import nn

SPECIALS = ["[PAD]", "[UNK]", "[SEP]", "[USER]", "[AGENT]"]
PAD_ID, UNK_ID, SEP_ID, USER_ID, AGENT_ID = range(len(SPECIALS))


class Block(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.head_dim = d // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask_add: torch.Tensor, last_only: bool) -> torch.Tensor:
        # x: [B, L, d]; mask_add: [B, 1, 1, L] with 0 for tokens and -1e4 for padding.
        b, length, d = x.shape
        qkv = self.qkv(self.ln1(x)).reshape(b, length, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, L, hd]
        if last_only:  # only the last position feeds the classifier: skip the other queries
            q = q[:, :, -1:, :]
            x = x[:, -1:, :]
        att = torch.matmul(q, k.transpose(-1, -2)) * self.scale + mask_add
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, q.shape[2], d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ff(self.ln2(x)))


class EotModel(nn.Module):
    def __init__(self, vocab_size: int, d: int, layers: int, heads: int, ff: int, max_len: int, dropout: float):
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab_size, d, padding_idx=PAD_ID)
        self.pos = nn.Embedding(max_len, d)
        self.blocks = nn.ModuleList(Block(d, heads, ff, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)
        self.emb_drop = nn.Dropout(dropout)

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        pos = (length - 1) - torch.arange(length, device=input_ids.device)
        x = self.emb_drop(self.tok(input_ids) + self.pos(pos).unsqueeze(0))
        mask_add = (1.0 - attention_mask.to(x.dtype)).unsqueeze(1).unsqueeze(2) * -1e4
        for i, blk in enumerate(self.blocks):
            x = blk(x, mask_add, last_only=i == len(self.blocks) - 1)
        return self.head(self.norm(x[:, -1, :])).squeeze(-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """P(turn complete), shape [batch]."""
        return torch.sigmoid(self.logits(input_ids, attention_mask))
