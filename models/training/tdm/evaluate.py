"""Behaviour and content evaluation of the TDM model on held-out episodes, beside baselines.

  /usr/bin/python3 models/training/tdm/evaluate.py [--name tdm] [--out metrics.json]

Held-out episodes: the test dialogues of SGD, Topical-Chat and Switchboard, simulated with a
fixed seed. Decisions are scored teacher-forced: at every assistant slice the model sees the
gold stream so far (in windows of the model's context, each decision with at least half a
window of history) and its first token is read as the decision (idle / cont / stop / words).

Timing behaviours (tags written by the episode simulator):
  mid_turn            the caller paused mid-turn (low end-of-turn bucket)  -> idle
  noise               voice activity without words while nobody speaks     -> idle
  answer              the caller finished (end-of-turn bucket >= 2)        -> words
  wait / answer_late  an unsure end of turn: wait, then answer              -> idle, then words
  hold                barge-in, no words yet (banter is paused)            -> idle
  interrupt           the interrupting words arrived                       -> stop (same slice: stricter than "within one")
  backchannel         "uh-huh" over banter                                 -> keep speaking (cont or words)
  false_interruption  a cough or noise over banter                          -> keep speaking (cont or words)
Baselines on the same slices: "answer at the first silent slice" (any end-of-turn signal
answers, any caller sound over banter stops it) and "VAD + end-of-turn threshold" (answers at
bucket >= 3, stops at a barge-in, resumes when the next slice is silent).

Content: perplexity of banter's words; answer relevance on held-out SGD replies (the share of
the reference reply's values that come from the conversation, names, places, times, numbers,
that the reply carries) beside a TF-IDF retrieval baseline (the reply of the nearest training
user turn).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.common import RUNS_ROOT, data_root, setup_torch  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from lib.textnorm import normalize_asr  # noqa: E402
from lib.wordpiece import WordPiece  # noqa: E402
from tdm.data import encode_episode, episodes, load_corpora  # noqa: E402
from tdm.episodes import DECISION_TEXT, Episode, Options  # noqa: E402
from tdm.model import Config, TdmLM  # noqa: E402
from tdm.stream import decide  # noqa: E402
from tdm.stream import ASSISTANT, BARGE_IN, CONT, EOS, EOTS, IDLE, SPECIALS, STOP, USER, VAD, prepare_assistant  # noqa: E402

EVAL_SEED = 777
EXPECT = {
    "mid_turn": {"idle"},
    "noise": {"idle"},
    "answer": {"text"},
    "answer_late": {"text"},
    "wait": {"idle"},
    "hold": {"idle"},
    "interrupt": {"stop"},
    "backchannel": {"cont", "text"},
    "false_interruption": {"cont", "text"},
}
STOPWORDS = set(
    "a an the i you to of for and or in on at is are be it that this what which would like do does have has "
    "can could will your my me we please want there with from by as so how when where who any else anything "
    "yes no okay ok sure thanks thank great good".split()
)


def load(name: str):
    run = RUNS_ROOT / name
    tok = json.loads((run / "tokenizer.json").read_text())
    vocab = [t for t, _ in sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])]
    wp = WordPiece(vocab)
    ck = torch.load(run / "best.pt")
    model = TdmLM(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    return model, wp, json.loads((run / "backchannels.json").read_text()), ck


def decision_class(token: str) -> str:
    return {IDLE: "idle", CONT: "cont", STOP: "stop"}.get(token, "other" if token in SPECIALS else "text")


def gold_class(s) -> str:
    return "text" if s.decision == DECISION_TEXT else decision_class(s.decision)


def teacher_forced(model: TdmLM, ep: Episode, wp: WordPiece):
    """First-token predictions at every decision, plus the NLL of banter's words."""
    enc = encode_episode(ep, wp)
    ctx = model.config.ctx
    preds: dict[int, int] = {}
    nll_sum, nll_n = 0.0, 0
    text_pos = set()
    for s_i, s in enumerate(ep.slices):
        if s.decision == DECISION_TEXT:
            d = int(enc.decision_at[s_i])
            text_pos.update(range(d, d + len(wp.encode(" ".join(s.text)))))
    st, done = 0, 0  # window start token, decisions before this token are scored
    n = len(enc.ids)
    while done < n:
        end = min(n, st + ctx)
        ids = torch.from_numpy(enc.ids[st:end].astype(np.int64))[None]
        with torch.no_grad():
            logp = torch.log_softmax(model(ids)[0], dim=-1)
        for j, d in enumerate(enc.decision_at):
            d = int(d)
            if done <= d < end and d > st:
                preds[j] = decide(logp[d - st - 1], wp.vocab)
        for p in range(max(done, st + 1), end):
            if p in text_pos:
                nll_sum -= float(logp[p - st - 1, enc.ids[p]])
                nll_n += 1
        done = end
        if end >= n:
            break
        half = st + ctx // 2
        nxt = [int(x) for x in enc.slice_at if int(x) >= half - ctx // 4]
        st = nxt[0] if nxt and nxt[0] < end else end - ctx // 2
    return preds, nll_sum, nll_n


def baselines(ep: Episode) -> dict[str, list[str]]:
    """Rule baselines' decisions at every slice, each with its own state (speaking or not)."""
    first_silent, threshold = [], []
    fs_speaking = th_speaking = th_paused = False
    th_wait = -1  # silent slices left before an unsure end of turn is answered
    for s in ep.slices:
        eot = next((int(x[4]) for x in s.signals if x in EOTS), None)
        sound = bool(s.user_words) or VAD in s.signals or BARGE_IN in s.signals
        # 1. answer at the first silent slice; any caller sound over banter stops it
        if fs_speaking:
            d = "stop" if sound else "cont"
            fs_speaking = not sound
        else:
            d = "text" if eot is not None else "idle"
            fs_speaking = d == "text"
        first_silent.append(d)
        # 2. VAD + end-of-turn threshold, with a false-interruption resume (LiveKit-style)
        if th_speaking:
            if BARGE_IN in s.signals:
                d, th_paused = "idle", True
            elif th_paused and s.user_words:
                d, th_speaking, th_paused = "stop", False, False
            elif th_paused:
                d = "idle" if sound else "cont"
                th_paused = sound
            else:
                d = "cont"
        elif eot is not None and eot >= 2:
            d, th_speaking = "text", True
        elif eot is not None:
            d, th_wait = "idle", 1
        elif th_wait == 0 and not sound:
            d, th_speaking, th_wait = "text", True, -1
        else:
            d = "idle"
            th_wait = th_wait - 1 if th_wait > 0 and not sound else (-1 if sound else th_wait)
        threshold.append(d)
        if "<done>" in s.signals:  # the reply played out
            fs_speaking = th_speaking = th_paused = False
    return {"first_silent_slice": first_silent, "vad_eot_threshold": threshold}


def score(eps: list[Episode], preds: list[dict[int, int]], wp: WordPiece) -> dict:
    by_tag: dict[str, Counter] = defaultdict(Counter)
    base_tag: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    conf: Counter = Counter()
    for ep, pr in zip(eps, preds):
        base = baselines(ep)
        for j, s in enumerate(ep.slices):
            if j not in pr:
                continue
            p = decision_class(wp.vocab[pr[j]])
            g = gold_class(s)
            conf[(g, p)] += 1
            if s.tag in EXPECT:
                by_tag[s.tag]["n"] += 1
                by_tag[s.tag]["ok"] += p in EXPECT[s.tag]
                for b, dec in base.items():
                    base_tag[b][s.tag]["n"] += 1
                    base_tag[b][s.tag]["ok"] += dec[j] in EXPECT[s.tag]
    total = sum(conf.values())
    out = {
        "behaviours": {t: {"n": c["n"], "accuracy": round(c["ok"] / max(1, c["n"]), 4)} for t, c in sorted(by_tag.items())},
        "baselines": {
            b: {t: {"n": c["n"], "accuracy": round(c["ok"] / max(1, c["n"]), 4)} for t, c in sorted(tags.items())}
            for b, tags in base_tag.items()
        },
        "decision_accuracy": round(sum(v for (g, p), v in conf.items() if g == p) / max(1, total), 4),
        "decisions": total,
        "confusion": {f"{g}->{p}": v for (g, p), v in sorted(conf.items())},
    }
    return out


# ------------------------------------------------------------------ content


def generate_reply(model: TdmLM, wp: WordPiece, prefix: list[int], max_slices: int = 24, max_tokens: int = 14) -> str:
    """Greedy: banter's words from the reply's first slice on, the caller silent (<u> <a> slices)."""
    tok = wp.ids
    ctx = model.config.ctx
    ids = prefix[-(ctx // 2) :]  # room for the reply in the model's window
    words: list[int] = []
    L = model.config.layers
    h = model.config.heads
    dh = model.config.dim // h
    past = [(torch.zeros(1, h, 0, dh), torch.zeros(1, h, 0, dh)) for _ in range(L)]
    pos = 0

    def feed(new: list[int]):
        nonlocal past, pos
        x = torch.tensor([new])
        am = torch.ones(1, pos + len(new), dtype=torch.int64)
        pi = torch.arange(pos, pos + len(new))[None]
        with torch.no_grad():
            logits, past = model.step(x, am, pi, past)
        pos += len(new)
        return decide(logits[0, -1], wp.vocab)

    nxt = feed(ids)
    for _ in range(max_slices):
        n = 0
        while n < max_tokens:
            t = wp.vocab[nxt]
            if t in (IDLE, CONT, STOP, EOS, USER) or t in SPECIALS:
                break
            words.append(nxt)
            nxt = feed([nxt])
            n += 1
        if wp.vocab[nxt] in (EOS, STOP) or (wp.vocab[nxt] == IDLE and words):
            break
        if pos + 4 >= ctx:
            break
        nxt = feed([tok[USER], tok[ASSISTANT]])
    return decode(wp, words)


def decode(wp: WordPiece, ids: list[int]) -> str:
    out = ""
    for i in ids:
        t = wp.vocab[i]
        out += t[2:] if t.startswith("##") else (" " + t if out else t)
    return out


def carried_values(context_user: list[str], reply: str) -> set[str]:
    ctx_words = set(" ".join(context_user).split())
    return {w for w in reply.split() if w in ctx_words and w not in STOPWORDS and (w.isdigit() or len(w) > 2)}


def relevance(model: TdmLM, wp: WordPiece, corpora, eps: list[Episode], limit: int) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    sgd = next(c for c in corpora if c.name == "sgd")
    train_u, train_a = [], []
    for d in sgd.dialogues["train"]:
        for u, a in d:
            train_u.append(normalize_asr(u))
            train_a.append(prepare_assistant(a))
    vec = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True)
    mat = vec.fit_transform(train_u)
    cases = []
    for ep in eps:
        if ep.source != "sgd":
            continue
        enc = encode_episode(ep, wp)
        for hist, ref, s_i in ep.replies:
            users = hist[0::2]
            vals = carried_values(users, ref)
            if vals:
                cases.append((users, ref, vals, enc.ids[: int(enc.decision_at[s_i])].tolist()))
    cases = cases[:limit]
    model_hits = retr_hits = n_vals = 0
    samples = []
    for users, ref, vals, prefix in cases:
        gen = generate_reply(model, wp, prefix)
        q = vec.transform([users[-1]])
        nearest = train_a[int((mat @ q.T).toarray().ravel().argmax())]
        gw, rw = set(gen.split()), set(nearest.split())
        model_hits += len(vals & gw)
        retr_hits += len(vals & rw)
        n_vals += len(vals)
        if len(samples) < 8:
            samples.append({"caller": users[-1], "reference": ref, "banter": gen, "retrieval": nearest})
    return {
        "cases": len(cases),
        "values": n_vals,
        "model_value_recall": round(model_hits / max(1, n_vals), 4),
        "retrieval_value_recall": round(retr_hits / max(1, n_vals), 4),
        "samples": samples,
    }


def transcripts(eps: list[Episode], preds: list[dict[int, int]], wp: WordPiece, n: int = 3, span: int = 40) -> list[str]:
    """A few held-out stretches around an interruption, gold decision beside the model's."""
    out = []
    for ep, pr in zip(eps, preds):
        tags = [j for j, s in enumerate(ep.slices) if s.tag in ("interrupt", "backchannel", "false_interruption") and j in pr]
        if not tags:
            continue
        j0 = max(0, tags[0] - span // 2)
        lines = []
        for j in range(j0, min(len(ep.slices), j0 + span)):
            s = ep.slices[j]
            gold = " ".join(s.text) if s.decision == DECISION_TEXT else s.decision
            model_tok = wp.vocab[pr[j]] if j in pr else "-"
            lines.append(f"{s.start_ms / 1000:7.2f}s  caller: {' '.join(s.user_words + s.signals):28s} gold: {gold:28s} model: {model_tok:10s} {s.tag}")
        out.append("\n".join(lines))
        if len(out) >= n:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="tdm")
    ap.add_argument("--limit", type=int, default=200, help="held-out dialogues per corpus (0: all; 200 keeps the run near 10 minutes)")
    ap.add_argument("--relevance-cases", type=int, default=300)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    setup_torch(EVAL_SEED)
    t0 = time.time()
    model, wp, backchannels, ck = load(a.name)
    corpora = load_corpora(data_root())
    vocab_words = [w for w in wp.vocab[len(SPECIALS):] if w.isalpha() and len(w) > 2][:2000]
    eps = episodes(corpora, "test", EVAL_SEED, Options(), vocab_words, backchannels, limit=a.limit or None)
    preds, nll, nn = [], 0.0, 0
    for ep in eps:
        p, s, k = teacher_forced(model, ep, wp)
        preds.append(p)
        nll += s
        nn += k
    res = score(eps, preds, wp)
    res["perplexity_words"] = round(math.exp(nll / max(1, nn)), 3)
    res["text_tokens"] = nn
    res["relevance"] = relevance(model, wp, corpora, eps, a.relevance_cases)
    res["episodes"] = {c: sum(1 for e in eps if e.source == c) for c in ("sgd", "topical-chat", "switchboard")}
    res["slices"] = sum(len(e.slices) for e in eps)
    res["checkpoint_step"] = ck["step"]
    res["seed"] = EVAL_SEED
    res["transcripts"] = transcripts(eps, preds, wp)
    res["seconds"] = round(time.time() - t0, 1)
    text = json.dumps(res, indent=1)
    if a.out:
        Path(a.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
