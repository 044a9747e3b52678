"""banter's codec LM: phonemes in, the codec's RVQ tokens out, in one of three patterns of the
same transformer (codec_lm/patterns.py): flat, delay, and stack-delay.

One decoder-only transformer reads the sentence's phonemes (a prompt) and then the audio.
What an audio position holds, and which heads predict what, is the pattern's business:

- flat: one position per token in the flat order; position (t, k) reads the previous token's
  embedding (its codebook's table) and the level embedding of k, and predicts c[t, k] with
  head k. Causal mask. K*T passes of one position.
- delay: one position per pass; pass s reads the sum over streams of pass s-1's tokens
  (EMPTY where a stream had nothing) and predicts every stream's token of pass s with the K
  heads. Causal mask. T + K - 1 passes of one position.
- stack-delay: two kinds of position. A frame's *stack* (the sum of the embeddings of all K
  of its levels) is the only thing kept in the long-term context, one position per frame,
  in the order frames complete. A *query* (t, d) reads the partial stack of frame t's
  levels 0..d-1 (plus a depth embedding) and predicts c[t, d] with head d; queries are never
  cached. The block mask: query (t, d), decoded in pass p, sees the prompt, the stacks of
  frames completed before p, and the other queries of pass p (their inputs are all known
  when the pass starts); a stack sees the prompt and the stacks completed before it. T + K - 1
  passes, each of up to K queries plus the stack of the frame the previous pass completed.

Every variant also predicts, at each frame, how many words have begun (the word-progress
head; the synthesizer reports which word is playing from it) and, at level 0, the end of
the utterance (token EOS). tests/test_codec_lm.py checks for every variant that no
prediction can see a token its pattern decodes at the same pass or later.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from codec_lm.patterns import Spec, plan


@dataclass(frozen=True)
class LmConfig:
    pattern: str = "stack-delay"  # flat | delay | stack-delay
    schedule: tuple[int, ...] = (0,)  # stack-delay's block schedule
    codebooks: int = 8
    codebook_size: int = 1024
    phonemes: int = 96  # prompt vocabulary size (codec_lm/text.py)
    dim: int = 256
    layers: int = 6
    heads: int = 4
    mlp: int = 4
    max_positions: int = 2048
    max_words: int = 64

    @property
    def empty(self) -> int:  # "no token" (equal to the codec's absent token)
        return self.codebook_size

    @property
    def eos(self) -> int:
        return self.codebook_size + 1

    @property
    def bos(self) -> int:
        return self.codebook_size + 2

    @property
    def audio_vocab(self) -> int:
        return self.codebook_size + 3

    @property
    def head_vocab(self) -> int:  # codes + EOS
        return self.codebook_size + 2

    def to_json(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, c: LmConfig):
        super().__init__()
        self.heads = c.heads
        self.n1 = nn.LayerNorm(c.dim)
        self.qkv = nn.Linear(c.dim, 3 * c.dim)
        self.proj = nn.Linear(c.dim, c.dim)
        self.n2 = nn.LayerNorm(c.dim)
        self.ff = nn.Sequential(nn.Linear(c.dim, c.mlp * c.dim), nn.GELU(), nn.Linear(c.mlp * c.dim, c.dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, N, D = x.shape
        h = self.heads
        q, k, v = self.qkv(self.n1(x)).view(B, N, 3, h, D // h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(D // h)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, N, D))
        return x + self.ff(self.n2(x))


@dataclass
class Layout:
    """One utterance laid out for a forward pass: input ids per position and what to predict."""

    inputs: torch.Tensor  # (N, K + 1) int64: [phoneme id or -1, then audio tokens summed per codebook (EMPTY = none)]
    positions: torch.Tensor  # (N,) int64
    depth: torch.Tensor  # (N,) int64: level embedding index (0 = none)
    mask: torch.Tensor  # (N, N) bool: row attends to column
    targets: torch.Tensor  # (N, K) int64: token to predict per head (-100 = none)
    word_targets: torch.Tensor  # (N,) int64: words begun at this frame (-100 = none)
    cells: list  # (position, head) -> (frame, codebook), for the leak tests


def _frames_with_eos(codes: torch.Tensor, c: LmConfig) -> torch.Tensor:
    """(K, T) codes -> (K, T + 1): a last frame whose level 0 is EOS and the rest EMPTY."""
    K, T = codes.shape
    end = torch.full((K, 1), c.empty, dtype=codes.dtype)
    end[0, 0] = c.eos
    return torch.cat([codes, end], dim=1)


def layout(c: LmConfig, phonemes: list[int], codes: torch.Tensor, words: list[int]) -> Layout:
    """Lay out one utterance: phoneme ids, (K, T) codes, words begun per frame (len T)."""
    K = c.codebooks
    x = _frames_with_eos(codes, c)
    T = x.shape[1]
    words = list(words) + [words[-1] if words else 0]
    P = len(phonemes) + 1  # + BOS
    rows: list[list[int]] = [[p] + [c.empty] * K for p in phonemes]
    rows.append([-1] + [c.bos] + [c.empty] * (K - 1))
    pos = list(range(P))
    depth = [0] * P
    tgt: list[list[int]] = [[-100] * K for _ in range(P)]
    wt = [-100] * P
    cells = []
    if c.pattern == "flat":
        prev = [-1] + [c.bos] + [c.empty] * (K - 1)
        rows.pop()
        tgt.pop()
        wt.pop()
        depth.pop()
        pos.pop()
        order = [(t, k) for t in range(T) for k in range(K)]
        for i, (t, k) in enumerate(order):
            rows.append(prev)
            pos.append(P - 1 + i)
            depth.append(1 + k)
            row = [-100] * K
            row[k] = int(x[k, t])
            tgt.append(row)
            wt.append(min(words[t], c.max_words - 1) if k == 0 else -100)
            cells.append(((len(rows) - 1, k), (t, k)))
            prev = [-1] + [c.empty] * K
            prev[1 + k] = int(x[k, t])
        n = len(rows)
        mask = torch.tril(torch.ones(n, n, dtype=torch.bool))
    elif c.pattern == "delay":
        passes = plan(Spec("delay"), K, T)
        rows.pop()
        tgt.pop()
        wt.pop()
        depth.pop()
        pos.pop()
        prev = [-1] + [c.bos] + [c.empty] * (K - 1)
        for s, p in enumerate(passes):
            rows.append(prev)
            pos.append(P - 1 + s)
            depth.append(0)
            row = [-100] * K
            nxt = [-1] + [c.empty] * K
            for k, cell in enumerate(p):
                if cell is not None:
                    t = cell[0]
                    row[k] = int(x[k, t])
                    nxt[1 + k] = int(x[k, t])
                    cells.append(((len(rows) - 1, k), (t, k)))
            tgt.append(row)
            t0 = p[0][0] if p[0] is not None else None
            wt.append(min(words[t0], c.max_words - 1) if t0 is not None else -100)
            prev = nxt
        n = len(rows)
        mask = torch.tril(torch.ones(n, n, dtype=torch.bool))
    elif c.pattern == "stack-delay":
        passes = plan(Spec("stack-delay", schedule=c.schedule), K, T)
        at = {cell: s for s, p in enumerate(passes) for cell in p if cell is not None}
        done = {t: at[(t, K - 1)] for t in range(T)}  # pass in which frame t completes
        order = sorted(range(T), key=lambda t: done[t])
        kind = ["prompt"] * P
        when = [-1] * P  # stacks: completion pass; queries: their pass
        for t in order:  # long-term stacks, in completion order
            rows.append([-1] + [int(x[k, t]) for k in range(K)])
            pos.append(P + t)
            depth.append(0)
            tgt.append([-100] * K)
            wt.append(-100)
            kind.append("stack")
            when.append(done[t])
        for t in range(T):
            for d in range(K):
                rows.append([-1] + [int(x[k, t]) if k < d else c.empty for k in range(K)])
                pos.append(P + t)
                depth.append(1 + d)
                row = [-100] * K
                row[d] = int(x[d, t])
                tgt.append(row)
                wt.append(min(words[t], c.max_words - 1) if d == 0 else -100)
                kind.append("query")
                when.append(at[(t, d)])
                cells.append(((len(rows) - 1, d), (t, d)))
        n = len(rows)
        kinds = kind
        w = torch.tensor(when)
        is_prompt = torch.tensor([k == "prompt" for k in kinds])
        is_stack = torch.tensor([k == "stack" for k in kinds])
        is_query = torch.tensor([k == "query" for k in kinds])
        prompt_causal = torch.tril(torch.ones(n, n, dtype=torch.bool)) & is_prompt[None, :] & is_prompt[:, None]
        mask = prompt_causal.clone()
        # stacks see the prompt and the stacks completed before them (and themselves)
        mask |= is_stack[:, None] & is_prompt[None, :]
        mask |= is_stack[:, None] & is_stack[None, :] & (w[None, :] <= w[:, None])
        # queries see the prompt, stacks completed in an earlier pass, and their own pass's queries
        mask |= is_query[:, None] & is_prompt[None, :]
        mask |= is_query[:, None] & is_stack[None, :] & (w[None, :] < w[:, None])
        mask |= is_query[:, None] & is_query[None, :] & (w[None, :] == w[:, None])
    else:
        raise ValueError(f"unknown pattern {c.pattern}")
    return Layout(
        inputs=torch.tensor(rows, dtype=torch.long),
        positions=torch.tensor(pos, dtype=torch.long),
        depth=torch.tensor(depth, dtype=torch.long),
        mask=mask,
        targets=torch.tensor(tgt, dtype=torch.long),
        word_targets=torch.tensor(wt, dtype=torch.long),
        cells=cells,
    )


class CodecLm(nn.Module):
    def __init__(self, c: LmConfig = LmConfig()):
        super().__init__()
        self.c = c
        self.phoneme = nn.Embedding(c.phonemes, c.dim)
        self.audio = nn.ModuleList(nn.Embedding(c.audio_vocab, c.dim) for _ in range(c.codebooks))
        self.position = nn.Embedding(c.max_positions, c.dim)
        self.depth = nn.Embedding(c.codebooks + 1, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = nn.LayerNorm(c.dim)
        self.heads = nn.ModuleList(nn.Linear(c.dim, c.head_vocab) for _ in range(c.codebooks))
        self.words = nn.Linear(c.dim, c.max_words)

    def embed(self, inputs: torch.Tensor, positions: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        """(B, N, K + 1) ids -> (B, N, dim). Column 0 is a phoneme id (-1: none); columns 1..K
        audio tokens of each codebook, summed (EMPTY has its own, learned, embedding)."""
        ph = inputs[..., 0]
        x = self.phoneme(ph.clamp(min=0)) * (ph >= 0).unsqueeze(-1)
        audio = 0
        for k, table in enumerate(self.audio):
            audio = audio + table(inputs[..., 1 + k])
        x = x + audio * (ph < 0).unsqueeze(-1)
        return x + self.position(positions) + self.depth(depth)

    def hidden(self, inputs, positions, depth, mask) -> torch.Tensor:
        x = self.embed(inputs, positions, depth)
        m = mask.unsqueeze(1)  # (B, 1, N, N)
        for b in self.blocks:
            x = b(x, m)
        return self.norm(x)

    def forward(self, inputs, positions, depth, mask) -> tuple[torch.Tensor, torch.Tensor]:
        """-> per-head logits (B, N, K, head_vocab) and word-progress logits (B, N, max_words)."""
        x = self.hidden(inputs, positions, depth, mask)
        logits = torch.stack([h(x) for h in self.heads], dim=2)
        return logits, self.words(x)


def collate(items: list[Layout]) -> dict[str, torch.Tensor]:
    """Pad layouts to one batch (padding attends only to itself and predicts nothing)."""
    n = max(it.inputs.shape[0] for it in items)
    B = len(items)
    K1 = items[0].inputs.shape[1]
    out = {
        "inputs": torch.full((B, n, K1), 0, dtype=torch.long),
        "positions": torch.zeros(B, n, dtype=torch.long),
        "depth": torch.zeros(B, n, dtype=torch.long),
        "mask": torch.eye(n, dtype=torch.bool).repeat(B, 1, 1),
        "targets": torch.full((B, n, K1 - 1), -100, dtype=torch.long),
        "word_targets": torch.full((B, n), -100, dtype=torch.long),
    }
    out["inputs"][:, :, 0] = -1
    for i, it in enumerate(items):
        m = it.inputs.shape[0]
        out["inputs"][i, :m] = it.inputs
        out["positions"][i, :m] = it.positions
        out["depth"][i, :m] = it.depth
        out["mask"][i, :m, :m] = it.mask
        out["targets"][i, :m] = it.targets
        out["word_targets"][i, :m] = it.word_targets
    return out


def loss(model: CodecLm, batch: dict[str, torch.Tensor], word_weight: float = 0.1) -> tuple[torch.Tensor, dict]:
    """Mean token NLL over every target (each head run only where it has one: the flat and
    stack-delay layouts have one target per position, so this is K times cheaper than running
    every head everywhere) plus the word-progress NLL."""
    x = model.hidden(batch["inputs"], batch["positions"], batch["depth"], batch["mask"])
    flat = x.reshape(-1, x.shape[-1])
    targets = batch["targets"].reshape(-1, batch["targets"].shape[-1])
    total, count = x.new_zeros(()), 0
    for k, head in enumerate(model.heads):
        rows = (targets[:, k] != -100).nonzero().squeeze(1)
        if rows.numel():
            total = total + F.cross_entropy(head(flat[rows]), targets[rows, k], reduction="sum")
            count += rows.numel()
    tok = total / max(1, count)
    words = model.words(flat)
    wl = F.cross_entropy(words, batch["word_targets"].reshape(-1), ignore_index=-100)
    return tok + word_weight * wl, {"token_nll": float(tok), "word_nll": float(wl)}


class StepGraph(nn.Module):
    """The exported step contract, the same for every pattern: this pass's positions and the
    long-term cache in, per-head logits, word-progress logits and the updated cache out.

    inputs [B, N, K + 1], positions [B, N], depth [B, N] (as in `layout`); pass_mask [B, N, N]
    (1 where a new position may attend to another new one; every new position sees the whole
    cache); n_cache [] (the first n_cache new positions are appended to the cache: all of
    them for flat and delay, the stack and none of the queries for stack-delay);
    past.L.key / past.L.value [B, heads, S, dim / heads] -> logits [B, N, K, head_vocab],
    words [B, N, max_words], present.L.key / present.L.value [B, heads, S + n_cache, ...].
    """

    def __init__(self, model: CodecLm):
        super().__init__()
        self.model = model

    def forward(self, inputs, positions, depth, pass_mask, n_cache, *past):
        m = self.model
        x = m.embed(inputs, positions, depth)
        B, N, D = x.shape
        presents = []
        for i, b in enumerate(m.blocks):
            pk, pv = past[2 * i], past[2 * i + 1]
            h = b.heads
            q, k, v = b.qkv(b.n1(x)).view(B, N, 3, h, D // h).permute(2, 0, 3, 1, 4)
            keys = torch.cat([pk, k], dim=2)
            values = torch.cat([pv, v], dim=2)
            S = pk.shape[2]
            allowed = torch.cat([torch.ones(B, N, S, dtype=torch.bool), pass_mask > 0], dim=2).unsqueeze(1)
            att = (q @ keys.transpose(-1, -2)) / math.sqrt(D // h)
            att = att.masked_fill(~allowed, float("-inf")).softmax(-1)
            x = x + b.proj((att @ values).transpose(1, 2).reshape(B, N, D))
            x = x + b.ff(b.n2(x))
            presents += [torch.cat([pk, k[:, :, :n_cache]], dim=2), torch.cat([pv, v[:, :, :n_cache]], dim=2)]
        x = m.norm(x)
        logits = torch.stack([hd(x) for hd in m.heads], dim=2)
        return (logits, m.words(x), *presents)


def empty_cache(c: LmConfig, batch: int = 1) -> list[torch.Tensor]:
    return [torch.zeros(batch, c.heads, 0, c.dim // c.heads) for _ in range(2 * c.layers)]
