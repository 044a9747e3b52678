/**
 * Where a reply's first speech delay goes: for each inquiry the system answered (and was not
 * already speaking over), when each of the server's turn-taking events reached the caller,
 * measured from the true end of the caller's speech. The medians show which stage holds FSED
 * up: the VAD's hangover, the recognizer's final, the end-of-turn judgement, the model's
 * decision to speak, the synthesizer's first audio. Read off `vad.*`, `asr.final` and
 * `turn.event` messages (docs/protocol.md), so a server that sends none gets no rows.
 */
import type { Outcome } from './metrics.ts';
import { median, percentile } from './stats.ts';
import type { Timeline } from './timeline.ts';

export const REPLY_STAGES = [
  { type: 'vad.speech_end', label: 'speech end (server VAD)' },
  { type: 'asr.final', label: 'recognizer final' },
  { type: 'turn.end_of_turn', label: 'end of turn judged' },
  { type: 'turn.llm_first_text', label: 'model writes its first word' },
  { type: 'turn.tts_first_audio', label: 'first audio synthesized' },
  { type: 'output.start', label: 'output.start sent' },
] as const;

export interface StageFigure {
  type: string;
  label: string;
  /** Arrival at the caller − true end of the inquiry, ms. */
  medianMs: number;
  p90Ms: number;
  n: number;
}

export function replyStages(timelines: Timeline[], outcomes: Outcome[]): StageFigure[] {
  const byId = new Map(timelines.map((t) => [t.id, t]));
  const samples = new Map<string, number[]>();
  const audible: number[] = [];
  for (const o of outcomes) {
    if (o.kind !== 'inquiry' || o.replyMs === null || o.duringSystem || o.replyMs < o.offsetMs) continue;
    const t = byId.get(o.conversation);
    if (!t) continue;
    audible.push(o.replyMs - o.offsetMs);
    for (const stage of REPLY_STAGES) {
      const e = t.events.find(
        (x) => x.type === stage.type && x.atMs >= o.offsetMs && x.atMs <= o.replyMs! + 100,
      );
      if (!e) continue;
      const list = samples.get(stage.type) ?? [];
      list.push(e.atMs - o.offsetMs);
      samples.set(stage.type, list);
    }
  }
  const figure = (type: string, label: string, xs: number[]): StageFigure => ({
    type,
    label,
    medianMs: Math.round(median(xs)),
    p90Ms: Math.round(percentile(xs, 90)),
    n: xs.length,
  });
  const rows = REPLY_STAGES.flatMap((s) => {
    const xs = samples.get(s.type);
    return xs?.length ? [figure(s.type, s.label, xs)] : [];
  });
  if (audible.length) rows.push(figure('audible', 'reply audible at the caller (FSED)', audible));
  return rows;
}
