/**
 * The report: one JSON document (everything, machine-readable) and one
 * self-contained HTML page rendered from it (no scripts or styles fetched
 * from anywhere, so it opens offline and can be mailed around).
 */
import { writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { aggregate } from '../metrics/aggregate.ts';
import { publishedSetup } from '../metrics/published.ts';
import { scoreTimeline } from '../metrics/metrics.ts';
import { replyStages } from '../metrics/stages.ts';
import { median, percentile } from '../metrics/stats.ts';
import type { Timeline } from '../metrics/timeline.ts';
import { formatValue } from './format.ts';
import { renderHtml } from './html.ts';
import { REPORT_FORMAT, type Report, type RunInfo } from './types.ts';

export interface BuildReportInput {
  suite: Report['suite'];
  timelines: Timeline[];
  asr: string | null;
  asrReason?: string;
  greetingText?: string;
  run: RunInfo | null;
  command?: string;
  generatedAt?: string;
}

export function buildReport(input: BuildReportInput): Report {
  const lags = input.timelines.flatMap((t) =>
    t.events.filter((e) => e.type === 'vad.speech_start').map((e) => e.atMs - e.tMs),
  );
  const run =
    input.run && lags.length
      ? { ...input.run, eventLagMs: { median: median(lags), p90: percentile(lags, 90), n: lags.length } }
      : input.run;
  const outcomes = input.timelines.flatMap((t) => scoreTimeline(t));
  const metrics = aggregate(input.timelines, outcomes, {
    asr: input.asr !== null,
    expectedGreeting: input.greetingText,
  });
  const stimuli: Record<string, number> = {};
  const duringSystem: Record<string, number> = {};
  for (const o of outcomes) {
    stimuli[o.kind] = (stimuli[o.kind] ?? 0) + 1;
    if (o.duringSystem) duringSystem[o.kind] = (duringSystem[o.kind] ?? 0) + 1;
  }
  const skippedReasons: Record<string, number> = {};
  for (const t of input.timelines)
    for (const s of t.skipped)
      skippedReasons[`${s.kind}: ${s.reason}`] = (skippedReasons[`${s.kind}: ${s.reason}`] ?? 0) + 1;
  return {
    format: REPORT_FORMAT,
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    ...(input.command ? { command: input.command } : {}),
    suite: input.suite,
    run,
    environment: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      os: `${platform()} ${arch()}`,
      memGiB: Math.round(totalmem() / 2 ** 30),
      asr: input.asr,
      ...(input.asrReason ? { asrReason: input.asrReason } : {}),
    },
    ...(input.greetingText ? { greetingText: input.greetingText } : {}),
    counts: {
      conversations: input.timelines.length,
      stimuli,
      duringSystem,
      skipped: input.timelines.reduce((n, t) => n + t.skipped.length, 0),
      skippedReasons,
    },
    metrics,
    standIns: standIns(input.timelines),
    replyStages: replyStages(input.timelines, outcomes),
    conversations: input.timelines.map((t) => ({
      ...t,
      outcomes: outcomes.filter((o) => o.conversation === t.id),
    })),
  };
}

/** Stand-in notes of the conversations, grouped by reason (the step number dropped). */
export function standIns(timelines: Timeline[]): Array<{ reason: string; count: number }> {
  const counts = new Map<string, number>();
  for (const t of timelines)
    for (const n of t.notes) {
      if (!/stands? in|says the scripted text/.test(n)) continue;
      const reason = n.replace(/^step \d+: /, '');
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

export function writeReport(outDir: string, report: Report): { json: string; html: string } {
  const json = join(outDir, 'report.json');
  const html = join(outDir, 'report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

/** The metric table as Markdown (for docs/EVALUATION.md and the terminal). */
export function metricsMarkdown(report: Report): string {
  const rows = report.metrics.map((m) => {
    const best =
      m.published
        .map((p) => `${p.system} ${formatValue(p.value, p.unit)} (${publishedSetup(p)})`)
        .join(', ') || '—';
    const value =
      m.value === null
        ? `n/a: ${m.na}`
        : formatValue(m.value, m.unit) + (m.p90 !== undefined ? ` (p90 ${formatValue(m.p90, m.unit)})` : '');
    const n = m.count !== undefined && m.unit !== 'ms' ? `${m.count}/${m.n}` : `${m.n}`;
    return `| ${m.name} | ${value} | ${n} | ${best} |`;
  });
  const table = ['| metric | banter | n | best published |', '|---|---|---|---|', ...rows].join('\n');
  const stages = report.replyStages ?? [];
  if (stages.length === 0) return table;
  return [
    table,
    '',
    '| where a reply waits (arrival at the caller − end of the inquiry) | median | p90 | n |',
    '|---|---|---|---|',
    ...stages.map((s) => `| ${s.label} | ${s.medianMs} ms | ${s.p90Ms} ms | ${s.n} |`),
  ].join('\n');
}
