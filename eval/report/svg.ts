/**
 * Inline SVG for the report: a timeline per conversation and a histogram per
 * latency distribution. Plain strings, no library, so the page stays one
 * self-contained file.
 */
import type { Outcome } from '../metrics/metrics.ts';
import type { Timeline } from '../metrics/timeline.ts';

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export const KIND_COLORS: Record<string, string> = {
  inquiry: '#2f6fdf',
  interrupt: '#d9343a',
  backchannel: '#e08a00',
  noise: '#8a6d3b',
  distractor: '#8e44ad',
  system: '#1e9e5a',
  callerVad: '#9bb7e8',
};

const LANES = { caller: 14, other: 34, vad: 54, system: 74, events: 94 };
const LANE_H = 14;
const LABEL_W = 62;

/** One conversation on a time axis: caller stimuli, system speech, server events. */
export function timelineSvg(t: Timeline & { outcomes?: Outcome[] }, width = 1100): string {
  const dur = Math.max(1000, t.durationMs);
  const plotW = width - LABEL_W - 8;
  const x = (ms: number) => LABEL_W + (Math.max(0, Math.min(dur, ms)) / dur) * plotW;
  const w = (a: number, b: number) => Math.max(1.5, x(b) - x(a));
  const parts: string[] = [];
  const label = (y: number, text: string) =>
    parts.push(`<text x="4" y="${y + 11}" class="lane">${text}</text>`);
  label(LANES.caller, 'caller');
  label(LANES.other, 'noise/other');
  label(LANES.vad, 'server VAD');
  label(LANES.system, 'system');
  label(LANES.events, 'events');
  for (let y of Object.values(LANES)) {
    y += LANE_H / 2;
    parts.push(`<line x1="${LABEL_W}" x2="${width - 8}" y1="${y}" y2="${y}" class="lane-line"/>`);
  }
  // Time grid every 5 s.
  for (let ms = 0; ms <= dur; ms += 5000) {
    parts.push(
      `<line x1="${x(ms)}" x2="${x(ms)}" y1="8" y2="112" class="grid"/><text x="${x(ms) + 2}" y="124" class="tick">${ms / 1000}s</text>`,
    );
  }
  const outcomeOf = (index: number) => t.outcomes?.find((o) => o.index === index);
  for (const s of t.stimuli) {
    const primary = s.kind === 'inquiry' || s.kind === 'interrupt' || s.kind === 'backchannel';
    const y = primary ? LANES.caller : LANES.other;
    const tip = esc(
      `${s.kind} #${s.index}: "${s.text}" (${s.source}) ${Math.round(s.active[0]?.startMs ?? s.startMs)}–${Math.round(s.active.at(-1)?.endMs ?? s.endMs)} ms${outcomeOf(s.index) ? ` — ${outcomeOf(s.index)!.verdict}` : ''}`,
    );
    for (const a of s.active) {
      parts.push(
        `<rect x="${x(a.startMs)}" y="${y}" width="${w(a.startMs, a.endMs)}" height="${LANE_H}" rx="2" fill="${KIND_COLORS[s.kind]}"><title>${tip}</title></rect>`,
      );
    }
    for (const p of s.pauses) {
      parts.push(
        `<rect x="${x(p.startMs)}" y="${y + 4}" width="${w(p.startMs, p.endMs)}" height="${LANE_H - 8}" class="pause"><title>pause ${Math.round(p.endMs - p.startMs)} ms</title></rect>`,
      );
    }
  }
  // What the server's VAD reported (segments from speech_end, or an open start).
  for (const e of t.events) {
    if (e.type === 'vad.speech_end' && e.startMs !== undefined) {
      parts.push(
        `<rect x="${x(e.startMs)}" y="${LANES.vad + 3}" width="${w(e.startMs, e.tMs)}" height="${LANE_H - 6}" fill="${KIND_COLORS.callerVad}"><title>server VAD ${Math.round(e.startMs)}–${Math.round(e.tMs)} ms</title></rect>`,
      );
    }
  }
  for (const s of t.system) {
    const said = t.words
      ?.filter((wd) => wd.startMs >= s.startMs - 100 && wd.startMs < s.endMs)
      .map((wd) => wd.word)
      .join(' ');
    parts.push(
      `<rect x="${x(s.startMs)}" y="${LANES.system}" width="${w(s.startMs, s.endMs)}" height="${LANE_H}" rx="2" fill="${KIND_COLORS.system}"><title>${esc(`system ${Math.round(s.startMs)}–${Math.round(s.endMs)} ms${said ? `: "${said}"` : ''}`)}</title></rect>`,
    );
  }
  for (const e of t.events) {
    const ex = x(e.tMs);
    const y = LANES.events;
    const tip = `<title>${esc(`${e.type}${e.kind ? ` (${e.kind})` : ''}${e.reason ? ` (${e.reason})` : ''} t_ms=${Math.round(e.tMs)}, arrived at ${Math.round(e.atMs)}`)}</title>`;
    if (e.type === 'vad.speech_start')
      parts.push(
        `<path d="M${ex - 4},${y + 12} L${ex + 4},${y + 12} L${ex},${y + 3} Z" class="ev-start">${tip}</path>`,
      );
    else if (e.type === 'vad.speech_end')
      parts.push(
        `<path d="M${ex - 4},${y + 3} L${ex + 4},${y + 3} L${ex},${y + 12} Z" class="ev-end">${tip}</path>`,
      );
    else if (e.type === 'audio.clear')
      parts.push(
        `<line x1="${ex}" x2="${ex}" y1="${LANES.system - 4}" y2="${y + 14}" class="ev-clear">${tip}</line>`,
      );
    else if (e.type === 'output.start')
      parts.push(`<circle cx="${ex}" cy="${y + 7}" r="3.5" class="ev-out">${tip}</circle>`);
  }
  for (const s of t.skipped) {
    parts.push(
      `<text x="${x(s.atMs) - 4}" y="${LANES.caller + 11}" class="skip"><title>${esc(`skipped ${s.kind} #${s.index}: ${s.reason}`)}</title>⊘</text>`,
    );
  }
  return `<svg class="timeline" viewBox="0 0 ${width} 130" width="100%" role="img" aria-label="timeline of ${esc(t.id)}">${parts.join('')}</svg>`;
}

export interface HistogramMarker {
  value: number;
  label: string;
  cls: string;
}

/** A histogram of values (ms or ratio) with markers (median, best published, human gap). */
export function histogramSvg(
  values: number[],
  markers: HistogramMarker[],
  unit: string,
  width = 340,
  height = 150,
): string {
  if (values.length === 0) return '<p class="muted">no samples</p>';
  // The axis spans the data; a marker far outside it (a published figure 10x ours) is noted at the edge instead.
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const span0 = Math.max(hi - lo, Math.abs(hi) * 0.1, 1e-6);
  const onScale = (v: number) => v >= lo - span0 && v <= hi + span0;
  for (const m of markers) {
    if (onScale(m.value)) {
      lo = Math.min(lo, m.value);
      hi = Math.max(hi, m.value);
    }
  }
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const bins = Math.min(20, Math.max(5, Math.ceil(Math.sqrt(values.length) * 2)));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  const top = Math.max(...counts);
  const L = 30;
  const B = height - 34;
  const plotW = width - L - 10;
  const x = (v: number) => L + ((v - lo) / (hi - lo)) * plotW;
  const parts: string[] = [];
  const bw = plotW / bins;
  counts.forEach((c, i) => {
    const h = (c / top) * (B - 24);
    if (c > 0)
      parts.push(
        `<rect x="${L + i * bw + 1}" y="${B - h}" width="${bw - 2}" height="${h}" class="bar"><title>${c}</title></rect>`,
      );
  });
  parts.push(`<line x1="${L}" x2="${width - 10}" y1="${B}" y2="${B}" class="axis"/>`);
  parts.push(`<text x="${L - 4}" y="${B - (B - 24) + 4}" class="tick" text-anchor="end">${top}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(
      `<text x="${x(v)}" y="${B + 14}" class="tick" text-anchor="middle">${Math.abs(hi - lo) > 20 ? Math.round(v) : v.toFixed(2)}</text>`,
    );
  }
  parts.push(`<text x="${width - 10}" y="${B + 28}" class="tick" text-anchor="end">${esc(unit)}</text>`);
  markers.forEach((m, i) => {
    const y = 12 + i * 11;
    if (!onScale(m.value)) {
      const right = m.value > hi;
      parts.push(
        `<text x="${right ? width - 10 : L + 2}" y="${y}" text-anchor="${right ? 'end' : 'start'}" class="mk ${m.cls}">${right ? '' : '← '}${esc(m.label)}${right ? ' →' : ''}</text>`,
      );
      return;
    }
    const mx = x(m.value);
    // Labels near the right edge are written leftwards so they stay inside the plot.
    const anchor = mx > width - 110 ? 'end' : 'start';
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${y + 2}" y2="${B}" class="${m.cls}"/><text x="${anchor === 'end' ? mx - 3 : mx + 3}" y="${y}" text-anchor="${anchor}" class="mk ${m.cls}">${esc(m.label)}</text>`,
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="hist">${parts.join('')}</svg>`;
}
