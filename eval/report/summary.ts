/**
 * A run's metric summary for publication (docs/results/*.json): every metric's value, counts
 * and reason, the run's pacing, the suite and the exact command and commit it came from. No
 * audio, no per-sample values, no per-conversation timelines: small enough to commit and diff.
 */
import type { MetricResult } from '../metrics/aggregate.ts';
import { publishedSetup } from '../metrics/published.ts';
import type { Report } from './types.ts';

export const SUMMARY_FORMAT = 1;

export interface RunSummary {
  format: typeof SUMMARY_FORMAT;
  generatedAt: string;
  /** The git commit of the code that ran (server and harness), with `-dirty` when it had changes. */
  commit: string;
  command: string | null;
  suite: Report['suite'];
  environment: Report['environment'];
  run: Report['run'];
  counts: Report['counts'];
  replyStages: NonNullable<Report['replyStages']>;
  /** Each metric as the report has it, without its samples, with the best published figures as text. */
  metrics: Array<Omit<MetricResult, 'published' | 'values' | 'definition'> & { best_published: string[] }>;
}

export function summarize(report: Report, commit: string): RunSummary {
  return {
    format: SUMMARY_FORMAT,
    generatedAt: report.generatedAt,
    commit,
    command: report.command ?? null,
    suite: report.suite,
    environment: report.environment,
    run: report.run,
    counts: report.counts,
    replyStages: report.replyStages ?? [],
    metrics: report.metrics.map((m) => ({
      key: m.key,
      name: m.name,
      unit: m.unit,
      better: m.better,
      value: m.value,
      ...(m.count !== undefined ? { count: m.count } : {}),
      n: m.n,
      ...(m.p90 !== undefined ? { p90: m.p90 } : {}),
      ...(m.na ? { na: m.na } : {}),
      best_published: m.published.map(
        (p) => `${p.system} ${p.value}${p.unit === 'ratio' ? '' : ` ${p.unit}`} (${publishedSetup(p)})`,
      ),
    })),
  };
}
