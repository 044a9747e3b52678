"""banter's speech codec: a log-mel encoder, residual vector quantization (RVQ), and a causal
decoder that writes a short-time spectrum (magnitude and phase) and turns it into samples by
an inverse FFT and overlap-add (after Vocos, Siuzdak 2023, trained here without a GAN).

Rates (16 kHz audio): the encoder reads 80 log-mel bands every 10 ms and writes one 64-dim
vector every 40 ms (25 Hz; 50 Hz did no better in a pilot, and half the frames halve the
codec LM's steps), quantized by K codebooks (coarse to fine, trained with quantizer dropout
so that the first k of them make a usable codec for every k). The decoder embeds the K
tokens of a frame (the sum of their codebook vectors), runs causal ConvNeXt blocks at the
frame rate, splits each frame into four 10 ms frames and runs more at 100 Hz, and writes a
640-sample window per 10 ms that overlaps three neighbours.

Why this shape, on this project's CPUs: the decoder works at the frame rate (100 Hz) and its
only per-sample work is the inverse FFT, so it decodes far faster than real time on one core;
writing the spectrum directly makes the magnitude (what intelligibility rests on) easy to get
right with spectral losses alone, which train in hours where a GAN vocoder takes days.

Streaming: the decoder is causal, so a token frame's audio depends only on it and earlier
frames. Its state is explicit, one flat vector: the last (kernel - 1) inputs of every causal
convolution and the three 10 ms overlap-add tails not yet complete. `decode_stream` of chunk
after chunk gives the same samples as one call over the whole utterance (tested). The encoder
is not streaming; it looks a bounded `encoder_lookahead_ms` ahead (380 ms at 25 Hz), and it
is used for data and tests.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

RATE = 16000


@dataclass(frozen=True)
class CodecConfig:
    sample_rate: int = RATE
    mel_hop: int = 160  # encoder input hop, samples (10 ms)
    mel_bands: int = 80
    mel_fft: int = 512
    frame_hop: int = 640  # samples per token frame (40 ms, 25 Hz)
    codebooks: int = 8
    codebook_size: int = 1024
    code_dim: int = 64
    enc_dim: int = 160
    enc_blocks: tuple[int, int] = (4, 2)  # blocks at 100 Hz, then at the frame rate
    dec_dim: int = 256
    dec_blocks: tuple[int, int] = (2, 5)  # blocks at the frame rate, then at 100 Hz
    kernel: int = 7
    mlp: int = 3
    n_fft: int = 640  # decoder window (40 ms); hop is mel_hop (10 ms), 75 % overlap

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.frame_hop

    @property
    def upsample(self) -> int:
        return self.frame_hop // self.mel_hop

    @property
    def encoder_lookahead_ms(self) -> float:
        """How far ahead of a frame's end the encoder reads: its centred convolutions' right halves."""
        mel_ms = 1000 * self.mel_hop / self.sample_rate
        frame_ms = 1000 * self.frame_hop / self.sample_rate
        fine = (2 + self.enc_blocks[0] * (self.kernel // 2)) * mel_ms
        return fine + self.enc_blocks[1] * (self.kernel // 2) * frame_ms

    def to_json(self) -> dict:
        return asdict(self)


def mel_filterbank(n_fft: int, bands: int, rate: int, fmin: float = 0.0, fmax: float | None = None) -> torch.Tensor:
    """Slaney-style triangular mel filters, (bands, n_fft // 2 + 1)."""
    fmax = fmax or rate / 2

    def hz_to_mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    mels = torch.linspace(hz_to_mel(fmin), hz_to_mel(fmax), bands + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = torch.linspace(0, rate / 2, n_fft // 2 + 1)
    fb = torch.zeros(bands, n_fft // 2 + 1)
    for b in range(bands):
        lo, mid, hi = hz[b], hz[b + 1], hz[b + 2]
        up = (bins - lo) / (mid - lo)
        down = (hi - bins) / (hi - mid)
        fb[b] = torch.clamp(torch.minimum(up, down), min=0) * (2.0 / (hi - lo))
    return fb


class LogMel(nn.Module):
    """Causal log-mel frames by convolution with a windowed DFT basis (exports to any ONNX opset):
    frame i covers the n_fft samples ending at (i + 1) * hop."""

    def __init__(self, n_fft: int, hop: int, bands: int, rate: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        n = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
        window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
        angle = 2 * math.pi * k[:, None] * n[None, :] / n_fft
        basis = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window]).float()
        self.register_buffer("basis", basis[:, None, :], persistent=False)
        self.register_buffer("mel", mel_filterbank(n_fft, bands, rate), persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:  # (B, N) -> (B, bands, N // hop)
        x = F.pad(audio[:, None, :], (self.n_fft - self.hop, 0))
        spec = F.conv1d(x, self.basis, stride=self.hop)
        half = spec.shape[1] // 2
        power = spec[:, :half] ** 2 + spec[:, half:] ** 2
        return torch.log(torch.clamp(torch.matmul(self.mel, power), min=1e-5))


class ConvNeXt(nn.Module):
    """Depthwise conv -> LayerNorm -> pointwise MLP, residual; causal (with a cache of the last
    kernel - 1 inputs) or centred."""

    def __init__(self, dim: int, kernel: int, mlp: int, causal: bool, layers: int):
        super().__init__()
        self.kernel, self.causal = kernel, causal
        self.dw = nn.Conv1d(dim, dim, kernel, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, dim * mlp)
        self.down = nn.Linear(dim * mlp, dim)
        self.scale = nn.Parameter(torch.full((dim,), 1.0 / layers))

    def forward(self, x: torch.Tensor, cache: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.causal:
            if cache is None:
                cache = x.new_zeros(x.shape[0], x.shape[1], self.kernel - 1)
            xin = torch.cat([cache, x], dim=2)
            cache = xin[:, :, xin.shape[2] - (self.kernel - 1) :]
        else:
            xin = F.pad(x, (self.kernel // 2, self.kernel // 2))
        h = self.dw(xin).transpose(1, 2)
        h = self.down(F.gelu(self.up(self.norm(h))))
        return x + (self.scale * h).transpose(1, 2), cache


class Encoder(nn.Module):
    def __init__(self, c: CodecConfig):
        super().__init__()
        self.c = c
        self.mel = LogMel(c.mel_fft, c.mel_hop, c.mel_bands, c.sample_rate)
        self.inp = nn.Conv1d(c.mel_bands, c.enc_dim, 5, padding=2)
        n = sum(c.enc_blocks)
        self.fine = nn.ModuleList(ConvNeXt(c.enc_dim, c.kernel, c.mlp, False, n) for _ in range(c.enc_blocks[0]))
        self.down = nn.Linear(c.enc_dim * c.upsample, c.enc_dim)
        self.coarse = nn.ModuleList(ConvNeXt(c.enc_dim, c.kernel, c.mlp, False, n) for _ in range(c.enc_blocks[1]))
        self.norm = nn.LayerNorm(c.enc_dim)
        self.out = nn.Linear(c.enc_dim, c.code_dim)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:  # (B, N) -> (B, T, code_dim), T = N // frame_hop
        x = self.mel(audio)
        x = self.inp((x + 5.0) / 4.0)  # log-mel of speech is about -11..4: centre it
        for b in self.fine:
            x, _ = b(x)
        B, C, T = x.shape
        T = T // self.c.upsample
        x = x[:, :, : T * self.c.upsample].transpose(1, 2).reshape(B, T, C * self.c.upsample)
        x = self.down(x).transpose(1, 2)
        for b in self.coarse:
            x, _ = b(x)
        return self.out(self.norm(x.transpose(1, 2)))


class Codebook(nn.Module):
    """One VQ codebook, learned by exponential moving averages of the vectors assigned to each
    entry (k-means online); entries nobody uses are moved onto live vectors."""

    def __init__(self, size: int, dim: int, decay: float = 0.99):
        super().__init__()
        self.decay = decay
        self.register_buffer("embed", torch.randn(size, dim) * 0.1)
        self.register_buffer("count", torch.ones(size))
        self.register_buffer("total", self.embed.clone())
        self.register_buffer("ready", torch.zeros((), dtype=torch.bool))

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        d = (x * x).sum(1, keepdim=True) - 2 * x @ self.embed.t() + (self.embed * self.embed).sum(1)[None]
        return d.argmin(1)

    @torch.no_grad()
    def learn(self, x: torch.Tensor, idx: torch.Tensor, generator: torch.Generator | None) -> None:
        size = self.embed.shape[0]
        if not bool(self.ready):
            pick = torch.randint(0, x.shape[0], (size,), generator=generator)
            self.embed.copy_(x[pick] + 0.01 * torch.randn(self.embed.shape, generator=generator))
            self.total.copy_(self.embed)
            self.count.fill_(1.0)
            self.ready.fill_(True)
            return
        onehot = F.one_hot(idx, size).type(x.dtype)
        self.count.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.total.mul_(self.decay).add_(onehot.t() @ x, alpha=1 - self.decay)
        n = self.count.sum()
        count = (self.count + 1e-5) / (n + size * 1e-5) * n
        self.embed.copy_(self.total / count[:, None])
        dead = self.count < 0.02
        if dead.any():
            pick = torch.randint(0, x.shape[0], (int(dead.sum()),), generator=generator)
            self.embed[dead] = x[pick]
            self.total[dead] = x[pick]
            self.count[dead] = 1.0


class RVQ(nn.Module):
    def __init__(self, c: CodecConfig):
        super().__init__()
        self.books = nn.ModuleList(Codebook(c.codebook_size, c.code_dim) for _ in range(c.codebooks))

    def forward(
        self, z: torch.Tensor, n_q: int | None = None, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, T, D) -> quantized (straight-through), codes (B, K', T), commitment loss."""
        n_q = n_q or len(self.books)
        B, T, D = z.shape
        flat = z.reshape(-1, D)
        residual = flat.detach()
        quant = torch.zeros_like(flat)
        codes = []
        for book in self.books[:n_q]:
            idx = book.nearest(residual)
            if self.training:
                book.learn(residual, idx, generator)
                idx = book.nearest(residual)
            q = book.embed[idx]
            quant = quant + q
            residual = residual - q
            codes.append(idx.view(B, T))
        commit = F.mse_loss(flat, quant.detach())
        out = flat + (quant - flat).detach()
        return out.view(B, T, D), torch.stack(codes, 1), commit

    def encode(self, z: torch.Tensor) -> torch.Tensor:
        B, T, D = z.shape
        residual = z.reshape(-1, D)
        codes = []
        for book in self.books:
            idx = book.nearest(residual)
            residual = residual - book.embed[idx]
            codes.append(idx.view(B, T))
        return torch.stack(codes, 1)

    def embed(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, K', T) tokens of the first K' codebooks -> (B, T, D), the sum of their entries.
        The token `codebook_size` (one past the last entry) stands for "no token" and adds
        nothing, so a graph exported for K codebooks also decodes the first k < K of them."""
        out = 0
        for k in range(codes.shape[1]):
            table = self.books[k].embed
            table = torch.cat([table, table.new_zeros(1, table.shape[1])])
            out = out + F.embedding(codes[:, k], table)
        return out


class Decoder(nn.Module):
    """Quantized vectors (B, T, D) -> samples (B, T * frame_hop), causal, with explicit state."""

    def __init__(self, c: CodecConfig):
        super().__init__()
        self.c = c
        n = sum(c.dec_blocks)
        self.inp = nn.Linear(c.code_dim, c.dec_dim)
        self.coarse = nn.ModuleList(ConvNeXt(c.dec_dim, c.kernel, c.mlp, True, n) for _ in range(c.dec_blocks[0]))
        self.split = nn.Linear(c.dec_dim, c.dec_dim * c.upsample)
        self.fine = nn.ModuleList(ConvNeXt(c.dec_dim, c.kernel, c.mlp, True, n) for _ in range(c.dec_blocks[1]))
        self.norm = nn.LayerNorm(c.dec_dim)
        bins = c.n_fft // 2 + 1
        self.head = nn.Linear(c.dec_dim, 2 * bins)
        # Inverse real DFT of one frame with the synthesis window applied: (bins) x2 -> n_fft.
        n = torch.arange(c.n_fft, dtype=torch.float64)
        k = torch.arange(bins, dtype=torch.float64)
        angle = 2 * math.pi * k[:, None] * n[None, :] / c.n_fft
        weight = torch.full((bins, 1), 2.0, dtype=torch.float64)
        weight[0] = weight[-1] = 1.0
        window = torch.hann_window(c.n_fft, periodic=True, dtype=torch.float64)
        self.register_buffer("icos", (weight * torch.cos(angle) * window / c.n_fft).float(), persistent=False)
        self.register_buffer("isin", (-weight * torch.sin(angle) * window / c.n_fft).float(), persistent=False)
        self.overlap = c.n_fft // c.mel_hop - 1  # 10 ms tails carried to the next chunk

    def state_size(self) -> int:
        blocks = len(self.coarse) + len(self.fine)
        return blocks * self.c.dec_dim * (self.c.kernel - 1) + self.overlap * self.c.mel_hop

    def initial_state(self, batch: int = 1) -> torch.Tensor:
        return torch.zeros(batch, self.state_size())

    def forward(self, q: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.c
        B, T, _ = q.shape
        if state is None:
            state = q.new_zeros(B, self.state_size())
        width = c.dec_dim * (c.kernel - 1)
        at = 0
        new_state = []

        def cache() -> torch.Tensor:
            nonlocal at
            piece = state[:, at : at + width].reshape(B, c.dec_dim, c.kernel - 1)
            at += width
            return piece

        x = self.inp(q).transpose(1, 2)
        for b in self.coarse:
            x, nc = b(x, cache())
            new_state.append(nc.reshape(B, width))
        x = self.split(x.transpose(1, 2)).reshape(B, T * c.upsample, c.dec_dim).transpose(1, 2)
        for b in self.fine:
            x, nc = b(x, cache())
            new_state.append(nc.reshape(B, width))
        h = self.head(self.norm(x.transpose(1, 2)))  # (B, F, 2 * bins)
        bins = c.n_fft // 2 + 1
        mag = torch.exp(torch.clamp(h[..., :bins], max=6.0))
        phase = h[..., bins:]
        frames = (mag * torch.cos(phase)) @ self.icos + (mag * torch.sin(phase)) @ self.isin  # (B, F, n_fft)
        Fr = frames.shape[1]
        hop, ov = c.mel_hop, self.overlap
        seg = frames.reshape(B, Fr, ov + 1, hop)
        full = sum(F.pad(seg[:, :, i], (0, 0, i, ov - i)) for i in range(ov + 1))  # (B, F + ov, hop)
        tail = state[:, at : at + ov * hop].reshape(B, ov, hop)
        full = torch.cat([full[:, :ov] + tail, full[:, ov:]], dim=1)
        audio = full[:, :Fr].reshape(B, Fr * hop)
        new_state.append(full[:, Fr:].reshape(B, ov * hop))
        return audio, torch.cat(new_state, dim=1)


class Codec(nn.Module):
    def __init__(self, c: CodecConfig = CodecConfig()):
        super().__init__()
        self.c = c
        self.encoder = Encoder(c)
        self.rvq = RVQ(c)
        self.decoder = Decoder(c)

    def forward(self, audio: torch.Tensor, n_q: int | None = None, generator: torch.Generator | None = None):
        z = self.encoder(audio)
        q, codes, commit = self.rvq(z, n_q, generator)
        out, _ = self.decoder(q)
        return out, codes, commit

    @torch.no_grad()
    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        return self.rvq.encode(self.encoder(audio))

    @torch.no_grad()
    def decode(self, codes: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoder(self.rvq.embed(codes), state)


class DecoderGraph(nn.Module):
    """What the server runs: tokens (B, K, T) int64 and state (B, S) -> samples (B, T * hop), next state."""

    def __init__(self, codec: Codec):
        super().__init__()
        self.codec = codec

    def forward(self, codes: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.codec.decoder(self.codec.rvq.embed(codes), state)


class EncoderGraph(nn.Module):
    """Samples (B, N) float in [-1, 1] -> tokens (B, K, N // hop) int64."""

    def __init__(self, codec: Codec):
        super().__init__()
        self.codec = codec

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.codec.rvq.encode(self.codec.encoder(audio))
