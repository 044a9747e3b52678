"""The end-of-turn classifier: a small transformer encoder over the trailing tokens.

Input layout (built identically by server/turn-taking/eot.ts):
    [USER|AGENT] context turn ... [SEP] current utterance
left-truncated to the last `max_len` tokens, so the end of the current utterance is always kept.
Positions count backwards from the last token (0 = last), and batches are left-padded, so
"the last word" always has the same position embedding whatever the length. The last
token's final hidden state predicts P(turn complete).

With `ngram_buckets` > 0 a second, linear path is added to that logit: mean-pooled embeddings of
the tokens and of hashed token bigrams, pooled separately over the current utterance (after the
last [SEP]) and over the context. It is a word-count model learned jointly with the encoder (a
TF-IDF logistic regression over n-grams beat the encoder alone on both held-out sets), computed
inside the graph from the same input_ids, so the ONNX contract does not change.
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


# Bigram (a, b) hashes to (a * BIGRAM_MULT + b) mod buckets; a prime multiplier spreads the pairs.
BIGRAM_MULT = 1_000_003
NGRAM_DIM = 32


class NgramBag(nn.Module):
    """Linear logit from mean-pooled unigram and hashed-bigram embeddings, utterance and context apart."""

    def __init__(self, vocab_size: int, buckets: int, dropout: float):
        super().__init__()
        self.buckets = buckets
        self.uni = nn.Embedding(vocab_size, NGRAM_DIM)
        self.bi = nn.Embedding(buckets, NGRAM_DIM)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(4 * NGRAM_DIM, 1)

    @staticmethod
    def _mean(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return (x * w.unsqueeze(-1)).sum(1) / w.sum(1, keepdim=True).clamp(min=1.0)

    @staticmethod
    def segments(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """0/1 weights [B, L] of the utterance tokens (after the last [SEP]; all of them when the
        [SEP] was cut away) and of the context tokens; padding and [SEP] are in neither."""
        valid = attention_mask.to(torch.float32) * (input_ids != SEP_ID).to(torch.float32)
        seps = torch.cumsum((input_ids == SEP_ID).to(torch.int64), dim=1)
        in_utt = (seps == seps[:, -1:]).to(torch.float32) * valid
        return in_utt, valid - in_utt

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        in_utt, in_ctx = self.segments(input_ids, attention_mask)
        uni = self.uni(input_ids)
        pair = (input_ids[:, :-1] * BIGRAM_MULT + input_ids[:, 1:]) % self.buckets
        bi = self.bi(pair)
        bi_utt = in_utt[:, :-1] * in_utt[:, 1:]
        bi_ctx = in_ctx[:, :-1] * in_ctx[:, 1:]
        feats = torch.cat(
            [self._mean(uni, in_utt), self._mean(bi, bi_utt), self._mean(uni, in_ctx), self._mean(bi, bi_ctx)], dim=-1
        )
        return self.out(self.drop(feats)).squeeze(-1)


class EotModel(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        d: int,
        layers: int,
        heads: int,
        ff: int,
        max_len: int,
        dropout: float,
        ngram_buckets: int = 0,
    ):
        super().__init__()
        self.max_len = max_len
        self.ngram = NgramBag(vocab_size, ngram_buckets, dropout) if ngram_buckets > 0 else None
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
        logit = self.head(self.norm(x[:, -1, :])).squeeze(-1)
        if self.ngram is not None:
            logit = logit + self.ngram(input_ids, attention_mask)
        return logit

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """P(turn complete), shape [batch]."""
        return torch.sigmoid(self.logits(input_ids, attention_mask))
