"""Speaker-verification figures of an encoder on the held-out sets (models/speaker/metrics.json).

Trials, cosine-scored:
- `test_other_full`: every pair of LibriSpeech test-other clips (10 speakers x 10 clips, each
  clip whole, 3-33 s of speech): 450 same-speaker and 4,500 different-speaker pairs.
- `test_other_3s_vs_{0.5,1,2}s`: what the barge-in gate faces. The first 3 s of each clip
  enroll; a 0.5 s, 1 s or 2 s stretch from the middle of every OTHER clip is tested against
  it. Cosines grow with the length of the stretch for every voice, so the gate's threshold
  follows such rows. They are set on dev (`dev_3s_vs_*`, whose ~3 s segments enroll and
  test the same way), never on test-other: at each length, the cosine that only 5% of other
  dev voices' stretches reach (manifest `speaker.thresholds`); test-other's rows then say
  what those thresholds do on unseen speakers.
- `fsdd_digit` / `fsdd_3digits`: the two held-out FSDD speakers (8 kHz recordings upsampled),
  one spoken digit (~0.4 s) or three digits per utterance, every pair.
- `dev`: the 20 LibriSpeech train-clean-100 speakers kept out of training (the training curve).
A baseline beside each: the cosine of per-utterance fbank mean and standard deviation (no
learning), so the card shows what the network adds.
"""
from __future__ import annotations

import numpy as np
import torch

from lib.features import kaldi_fbank
from lib.metrics import equal_error_rate
from speaker.data import load
from speaker.model import SpeakerEncoder, cmn

RATE = 16000
# Windows the barge-in gate scores (ms of the latest speech); their EER thresholds go in the manifest.
GATE_WINDOWS_S = (0.5, 1.0, 2.0)
# The false-accept rate of one score at which the gate's thresholds are set: a stretch is
# scored several times while it lasts, so each score must let few other voices through.
GATE_FAR = 0.05


def encoder_embed(model: SpeakerEncoder):
    @torch.no_grad()
    def embed(x: np.ndarray) -> np.ndarray:
        model.eval()
        return model(cmn(kaldi_fbank(x).unsqueeze(0)))[0].numpy()

    return embed


def stats_embed(x: np.ndarray) -> np.ndarray:
    """The no-learning baseline: mean and std of the fbank frames, standardized, unit length."""
    f = kaldi_fbank(x).numpy()
    v = np.concatenate([f.mean(axis=0), f.std(axis=0)])
    v = v - v.mean()
    return v / (np.linalg.norm(v) + 1e-9)


def as_float(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) / 32768.0


def pairwise(embs: np.ndarray, names: list[str]) -> dict:
    sims = embs @ embs.T
    iu = np.triu_indices(len(names), 1)
    labels = np.array([names[i] == names[j] for i, j in zip(*iu)])
    eer, thr = equal_error_rate(labels, sims[iu])
    return {"eer": round(eer, 4), "threshold": round(thr, 4), "target_trials": int(labels.sum()), "nontarget_trials": int((~labels).sum())}


def enroll_vs_test(embed, audio: list[np.ndarray], names: list[str], test_s: float, at: float | None = None) -> dict:
    """`at`: also report the false-accept and false-reject rates at this threshold (dev's)."""
    enroll = [embed(as_float(a[: 3 * RATE])) for a in audio]
    tests = []
    for a in audio:
        n = int(test_s * RATE)
        mid = max(0, len(a) // 2 - n // 2)
        tests.append(embed(as_float(a[mid : mid + n])))
    labels, scores = [], []
    for i in range(len(audio)):
        for j in range(len(audio)):
            if i != j:
                labels.append(names[i] == names[j])
                scores.append(float(enroll[i] @ tests[j]))
    labels, scores = np.array(labels), np.array(scores)
    eer, thr = equal_error_rate(labels, scores)
    # The gate's operating point: the cosine another voice exceeds only GATE_FAR of the time.
    far_thr = float(np.quantile(scores[~labels], 1 - GATE_FAR))
    return {
        "eer": round(eer, 4),
        "threshold": round(thr, 4),
        f"threshold_far_{GATE_FAR:g}": round(far_thr, 4),
        f"frr_at_far_{GATE_FAR:g}": round(float((scores[labels] < far_thr).mean()), 4),
        "target_trials": int(labels.sum()),
        "nontarget_trials": int((~labels).sum()),
        **(
            {}
            if at is None
            else {
                "far_at": round(float((scores[~labels] >= at).mean()), 4),
                "frr_at": round(float((scores[labels] < at).mean()), 4),
            }
        ),
    }


def evaluate(embed, data_dir) -> dict:
    out = {}
    # dev first: its thresholds are the ones test-other is then scored at.
    for name in ("dev", "test_other", "fsdd_digit", "fsdd_3digits"):
        audio, names = load(data_dir / f"{name}.npz")
        embs = np.stack([embed(as_float(a)) for a in audio])
        out[f"{name}_full" if name == "test_other" else name] = pairwise(embs, names)
        if name in ("test_other", "dev"):
            for s in GATE_WINDOWS_S:
                dev = out.get(f"dev_3s_vs_{s:g}s")
                at = dev[f"threshold_far_{GATE_FAR:g}"] if dev and name == "test_other" else None
                out[f"{name}_3s_vs_{s:g}s"] = enroll_vs_test(embed, audio, names, s, at)
    return out


def evaluate_all(model: SpeakerEncoder, data_dir) -> dict:
    return {"encoder": evaluate(encoder_embed(model), data_dir), "fbank_stats_baseline": evaluate(stats_embed, data_dir)}
