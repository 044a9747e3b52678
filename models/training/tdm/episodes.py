"""Dialogues -> TDM episodes: a caller and banter simulated on one clock, cut into slices.

Each dialogue of SGD, Topical-Chat or Switchboard becomes one episode. The caller speaks its
turns word by word (speaking rate, mid-turn pauses, fillers, recognition errors, words reaching
the model only when the recognizer emits them); banter answers each turn with the reference
reply, written into the stream a little ahead of its audio (at most LEAD_MS ahead), and the
session's signals (end-of-turn bucket, barge-in, reply played) enter the user slice as the real
session would write them. While banter speaks, the caller sometimes interrupts for real (its
next turn), backchannels ("uh-huh") or makes a noise (a cough). Each assistant slice carries
the decision a good system makes there and a behaviour tag for the evaluation.

Slices are clocked every `slice_ms` and closed early at an end-of-turn or barge-in event, as
the session does, so a decision never waits for the clock.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from lib.textnorm import normalize_asr

from tdm.stream import BARGE_IN, CONT, DONE, IDLE, STOP, VAD, eot_bucket, prepare_assistant

SLICE_MS = 400
LEAD_MS = 1200  # banter's text runs at most this far ahead of its audio
MAX_SLICE_WORDS = 6  # words written in one assistant slice at most (first slice of a reply included)
TTS_LATENCY_MS = 150  # end of turn -> first audio
VAD_SILENCE_MS = (200, 300)  # silence before the VAD says the caller stopped
BARGE_IN_GATE_MS = (200, 300)  # caller speech over banter before the session pauses banter
ASR_LAG_MS = (80, 300)
LATE_EOT_WAIT_MS = 800  # after an unsure end of turn (bucket 0-1), banter waits up to this long (+ a slice)
UNSURE_BUCKETS = 2
MID_TURN_MAX_P = 0.59  # mid-turn pauses: the simulated end-of-turn model stays below bucket 3

DECISION_TEXT = "text"

BACKCHANNELS_DEFAULT = [
    "uh huh", "yeah", "right", "okay", "mm hmm", "yes", "oh", "i see", "sure", "oh okay",
    "really", "wow", "oh really", "yep", "exactly", "oh yeah", "uh huh yeah", "true", "all right",
]


@dataclass
class Slice:
    start_ms: int
    end_ms: int
    user_words: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    decision: str = IDLE  # IDLE | CONT | STOP | DECISION_TEXT
    text: list[str] = field(default_factory=list)  # assistant words when decision == text
    eos: bool = False
    tag: str = ""  # behaviour being tested at this decision ("" = none)
    reply: int = -1  # index of the reply this slice's text belongs to


@dataclass
class Episode:
    source: str
    dialogue: int
    slices: list[Slice]
    # (context user turns, reference reply, index of the slice where the reply starts) for content evaluation
    replies: list[tuple[list[str], str, int]] = field(default_factory=list)


@dataclass
class Options:
    slice_ms: int = SLICE_MS
    interrupt_rate: float = 0.35  # share of replies (of >= 6 words) with a caller event while banter speaks
    kinds: tuple[tuple[str, float], ...] = (("real", 0.45), ("backchannel", 0.35), ("noise", 0.2))
    mid_turn_pause_rate: float = 0.3
    gap_noise_rate: float = 0.15
    filler_rate: float = 0.05
    asr_drop_rate: float = 0.015
    asr_sub_rate: float = 0.015


def word_ms(word: str, rate: float) -> int:
    if word in (",",):
        return 150
    if word in (".", "?", "!"):
        return 300
    return int((70 + 50 * len(word)) / rate)


class _Sim:
    """One episode's clock. Caller audio is scheduled ahead (words, VAD activity, signals at
    absolute times); slices are closed one by one and the gold decision appended."""

    def __init__(self, rng: random.Random, opt: Options, vocab: list[str], backchannels: list[str]):
        self.rng, self.opt, self.vocab, self.backchannels = rng, opt, vocab, backchannels
        self.t = 0
        self.slices: list[Slice] = []
        self.arrivals: list[tuple[int, str]] = []  # ASR words (time, word)
        self.vad: list[tuple[int, int]] = []
        self.events: list[tuple[int, str]] = []  # slice-closing signals (time, token)
        self.done_at: int | None = None

    # ------------------------------------------------------------ clock
    def close(self, until: int | None = None) -> Slice:
        """Closes the next slice: at the clock, or earlier at a pending end-of-turn / barge-in."""
        b = self.t + self.opt.slice_ms
        for time, _ in self.events:
            if self.t < time < b:
                b = time
        if until is not None and self.t < until < b:
            b = until
        s = Slice(self.t, b)
        s.user_words = [w for time, w in self.arrivals if self.t < time <= b]
        self.arrivals = [(time, w) for time, w in self.arrivals if time > b]
        active = any(st < b and en > self.t for st, en in self.vad)
        self.vad = [(st, en) for st, en in self.vad if en > b]
        if active and not s.user_words:
            s.signals.append(VAD)
        fired = [tok for time, tok in self.events if self.t < time <= b]
        self.events = [(time, tok) for time, tok in self.events if time > b]
        if BARGE_IN in fired:
            s.signals.append(BARGE_IN)
        if self.done_at is not None and self.t < self.done_at <= b:
            s.signals.append(DONE)
            self.done_at = None
        s.signals.extend(tok for tok in fired if tok.startswith("<eot"))
        self.t = b
        self.slices.append(s)
        return s

    def idle_slices(self, n: int, tag: str) -> None:
        for _ in range(n):
            s = self.close()
            s.decision, s.tag = IDLE, tag

    # ------------------------------------------------------------ caller
    def asr_word(self, w: str) -> str | None:
        r = self.rng.random()
        if r < self.opt.asr_drop_rate:
            return None
        if r < self.opt.asr_drop_rate + self.opt.asr_sub_rate:
            return self.rng.choice(self.vocab)
        return w

    def speak_caller(self, words: list[str], start: int, pauses: bool) -> tuple[int, list[tuple[int, int]]]:
        """Schedules a caller turn; returns (time of its final end-of-turn event, mid-turn pause spans
        (eot event time, resume time))."""
        rng, opt = self.rng, self.opt
        rate = rng.uniform(0.85, 1.25)
        words = list(words)
        if len(words) >= 3 and rng.random() < opt.filler_rate * len(words) / 4:
            words.insert(rng.randrange(1, len(words)), rng.choice(("uh", "um")))
        pause_after = -1
        if pauses and len(words) >= 4 and rng.random() < opt.mid_turn_pause_rate:
            pause_after = rng.randrange(1, len(words) - 1)
        t = start
        seg_start = t
        mid: list[tuple[int, int]] = []
        pending: list[tuple[int, str]] = []  # (word end, word) not yet delivered
        for i, w in enumerate(words):
            end = t + word_ms(w, rate)
            pending.append((end, w))
            t = end + rng.randint(0, 60)
            if i == pause_after:
                self.vad.append((seg_start, end))
                ev = end + rng.randint(*VAD_SILENCE_MS)
                self._deliver(pending, ev)
                pending = []
                p = min(MID_TURN_MAX_P, rng.betavariate(1.5, 4.0))
                self.events.append((ev, eot_bucket(p)))
                resume = end + rng.randint(500, 2000)
                resume = max(resume, ev + 150)
                mid.append((ev, resume))
                t = seg_start = resume
        self.vad.append((seg_start, t))
        ev = t + rng.randint(*VAD_SILENCE_MS)
        self._deliver(pending, ev)
        self.final_p = rng.betavariate(4.0, 1.5)
        self.events.append((ev, eot_bucket(self.final_p)))
        return ev, mid

    def _deliver(self, pending: list[tuple[int, str]], by: int) -> None:
        """ASR words arrive a little after they are spoken, all of them by the end-of-turn event."""
        for end, w in pending:
            out = self.asr_word(w)
            if out is not None:
                self.arrivals.append((min(by, end + self.rng.randint(*ASR_LAG_MS)), out))
        self.arrivals.sort()

    def listen(self, eot: int, mid: list[tuple[int, int]], speech_from: int) -> None:
        """Idle slices through the caller's turn, up to and including the slice closed by its end of
        turn. Before the caller's first word (`speech_from`) a noise burst may pass the VAD."""
        if speech_from - self.t > 1200 and self.rng.random() < self.opt.gap_noise_rate:
            st = self.rng.randint(self.t + 100, speech_from - 900)
            self.vad.append((st, st + self.rng.randint(200, 800)))
        while self.t < eot:
            s = self.close()
            in_pause = any(ev <= s.end_ms < resume for ev, resume in mid)
            noise = VAD in s.signals and s.end_ms <= speech_from
            s.decision, s.tag = IDLE, ("mid_turn" if in_pause else "noise" if noise else "")

    # ------------------------------------------------------------ banter
    def reply(self, words: list[str], index: int, event: str | None, next_turn: list[str] | None) -> str:
        """Banter speaks `words` from the current boundary (the last slice is closed, its decision
        pending). Returns 'done' (played to the end), 'interrupted' (banter stopped for the caller's
        next turn) or 'late' (the caller's next turn began as the reply ended: an ordinary turn)."""
        rng = self.rng
        dur = [word_ms(w, 1.0) for w in words]
        starts = [sum(dur[:k]) for k in range(len(words))]
        total = sum(dur)
        play_from = self.t + TTS_LATENCY_MS  # wall time when playback (re)started
        pos0 = 0  # reply audio position at play_from
        paused = False
        written = 0
        first = True
        ev = _Event(event) if event else None
        if ev is not None:
            lo = min(300, total // 2)
            at = rng.randint(lo, max(lo, total - 300))
            self._schedule_event(ev, play_from + at, next_turn)

        def pos(at: int) -> int:
            return pos0 if paused else max(pos0, min(total, pos0 + at - play_from))

        slice_ = self.slices[-1]
        while True:
            b = self.t
            # ---- the decision at boundary b
            if paused and ev.stop_at is not None and b >= ev.stop_at:
                slice_.decision, slice_.tag = STOP, "interrupt"
                heard = pos(b)
                self._truncate(index, sum(1 for s in starts if s < heard))
                self.done_at = None
                self.events = [(t, tok) for t, tok in self.events if tok != BARGE_IN]
                return "interrupted"
            if paused and ev.resume_at is not None and b >= ev.resume_at:
                slice_.decision, slice_.tag = CONT, ev.tag
                paused, play_from = False, b + 50
            elif paused:
                slice_.decision, slice_.tag = IDLE, "hold"
            else:
                p = pos(b)
                new: list[str] = []
                while written < len(words) and len(new) < MAX_SLICE_WORDS and starts[written] <= p + LEAD_MS:
                    new.append(words[written])
                    written += 1
                if new:
                    slice_.decision, slice_.text, slice_.reply = DECISION_TEXT, new, index
                    slice_.eos = written == len(words)
                else:
                    slice_.decision = CONT
                if first:
                    slice_.tag = "answer" if self._sure else "answer_late"
                elif ev is not None and ev.tag_next:
                    slice_.tag, ev.tag_next = ev.tag, False
                first = False
            self.done_at = None if paused else play_from + (total - pos0)
            # ---- the next slice
            s = self.close()
            slice_ = s
            if DONE in s.signals:
                s.decision = IDLE
                self.events = [(t, tok) for t, tok in self.events if tok != BARGE_IN]
                if ev is not None and ev.kind == "real" and not paused:
                    return "late"
                return "done"
            if ev is None:
                continue
            if s.end_ms > ev.wall:
                ev.words.extend(s.user_words)
            if BARGE_IN in s.signals and not paused:
                pos0, paused = pos(s.end_ms), True
            if ev.kind == "real":
                real = [w for w in ev.words if w not in self._bc_words]
                eot_seen = any(sig.startswith("<eot") for sig in s.signals)
                if paused and ev.stop_at is None and (real or len(ev.words) >= 2 or eot_seen):
                    ev.stop_at = s.end_ms
            elif ev.resume_at is None and ev.tag:
                over = s.end_ms >= ev.over_at and VAD not in s.signals
                if over and paused:
                    ev.resume_at = s.end_ms
                elif over and ev.short:
                    ev.tag_next, ev.tag = True, ev.tag
                    ev.resume_at = s.end_ms  # nothing to resume: banter never paused

    def _schedule_event(self, ev: "_Event", wall: int, next_turn: list[str] | None) -> None:
        rng = self.rng
        ev.wall = wall
        gate = rng.randint(*BARGE_IN_GATE_MS)
        if ev.kind == "real":
            self._eot, self._mid = self.speak_caller(next_turn or ["wait"], wall, pauses=False)
            self.events.append((wall + gate, BARGE_IN))
            return
        if ev.kind == "backchannel":
            t = wall
            rate = rng.uniform(0.9, 1.3)
            last = wall
            for w in rng.choice(self.backchannels).split():
                end = t + word_ms(w, rate)
                last = end + rng.randint(*ASR_LAG_MS)
                self.arrivals.append((last, w))
                t = end + 20
            self.arrivals.sort()
            self.vad.append((wall, t))
            end = t
        else:
            end = wall + rng.randint(150, 900)
            self.vad.append((wall, end))
            last = end
        ev.short = end - wall < gate
        if not ev.short:
            self.events.append((wall + gate, BARGE_IN))
        ev.over_at = max(last, end + rng.randint(*VAD_SILENCE_MS))
        ev.tag = "backchannel" if ev.kind == "backchannel" else "false_interruption"

    def _truncate(self, index: int, heard_words: int) -> None:
        """Only what the caller heard stays in banter's history: later words are removed from the
        slices that wrote them (a slice left empty keeps speaking, <cont>)."""
        seen = 0
        for s in self.slices:
            if s.reply != index or s.decision != DECISION_TEXT:
                continue
            keep = max(0, min(len(s.text), heard_words - seen))
            seen += len(s.text)
            if keep < len(s.text):
                s.text = s.text[:keep]
                s.eos = False
                if not s.text:
                    s.decision, s.reply = CONT, -1


@dataclass
class _Event:
    """A caller event while banter speaks: a real interruption, a backchannel or a noise."""

    kind: str
    wall: int = 0
    short: bool = False  # too short for a barge-in: banter never paused
    over_at: int = 0  # a false interruption is over (words delivered, VAD silent)
    tag: str = ""
    tag_next: bool = False
    words: list[str] = field(default_factory=list)
    stop_at: int | None = None
    resume_at: int | None = None


def pair_turns(dialogue: list[tuple[str, str]], assistant: str) -> list[tuple[str, str]]:
    """Alternating (user text, assistant text) pairs; consecutive turns of one speaker are joined,
    an opening assistant turn is dropped."""
    merged: list[tuple[str, str]] = []
    for spk, text in dialogue:
        role = "a" if spk == assistant else "u"
        if merged and merged[-1][0] == role:
            merged[-1] = (role, merged[-1][1] + " " + text)
        else:
            merged.append((role, text))
    if merged and merged[0][0] == "a":
        merged = merged[1:]
    pairs = []
    for i in range(0, len(merged) - 1, 2):
        pairs.append((merged[i][1], merged[i + 1][1]))
    return pairs


def simulate(
    pairs: list[tuple[str, str]],
    rng: random.Random,
    opt: Options,
    vocab: list[str],
    backchannels: list[str],
    source: str = "",
    dialogue: int = -1,
    max_reply_words: int = 60,
) -> Episode:
    sim = _Sim(rng, opt, vocab, backchannels)
    sim._bc_words = {w for bc in backchannels for w in bc.split()}
    ep = Episode(source, dialogue, sim.slices)
    history: list[str] = []
    start = rng.randint(300, 1500)
    turns = [(normalize_asr(u).split(), prepare_assistant(a).split()[:max_reply_words]) for u, a in pairs]
    turns = [(u, a) for u, a in turns if u and a]
    i = 0
    carried = None  # an interrupting turn already scheduled: (eot time, mid-turn pauses)
    while i < len(turns):
        user, reply = turns[i]
        if carried is None:
            eot, mid = sim.speak_caller(user, start, pauses=True)
        else:
            eot, mid = carried
            carried, start = None, sim.t
        sim.listen(eot, mid, start)
        sim._sure = int(sim.slices[-1].signals[-1][4]) >= UNSURE_BUCKETS if sim.slices[-1].signals else True
        if not sim._sure:
            # The session's answerBy timer: when banter waited after an unsure end of turn and the
            # caller did not go on, the session says again that the turn ended, now sure
            # (probability 1), closing the slice at once. banter answers on that signal; the wait
            # varies so the model cannot learn to count slices instead.
            sim.slices[-1].tag = "wait"
            sim.idle_slices(rng.randint(1, -(-LATE_EOT_WAIT_MS // opt.slice_ms) + 1), "wait")
            sim.events.append((sim.t + rng.randint(50, opt.slice_ms - 50), eot_bucket(1.0)))
            sim.close()  # the slice the timer closes early: banter's answer is decided in it
        history.append(" ".join(user))
        ep.replies.append((list(history), " ".join(reply), len(sim.slices) - 1))
        event = None
        if len(reply) >= 6 and rng.random() < opt.interrupt_rate:
            kinds, weights = zip(*opt.kinds)
            event = rng.choices(kinds, weights)[0]
            if event == "real" and i + 1 >= len(turns):
                event = "backchannel"
        nxt = turns[i + 1][0] if i + 1 < len(turns) else None
        outcome = sim.reply(reply, i, event, nxt)
        history.append(" ".join(reply))
        if outcome in ("interrupted", "late"):
            carried = (sim._eot, sim._mid)
        else:
            start = sim.t + rng.randint(200, 1200)
        i += 1
    sim.idle_slices(rng.randint(2, 5), "")
    return ep
