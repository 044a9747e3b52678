/**
 * Runs side by side: every metric of each run with a bootstrap confidence interval over its
 * conversations, each run's difference from the first (paired over conversations when both
 * ran the same suite, so the suite's own variety cancels out), per-condition breakdowns and
 * the latency distributions. Pure: reports in, a Comparison out (rendered by compare-html.ts).
 *
 * Why conversations are the unit: the stimuli inside one conversation share a voice, a
 * background and the system's state, so they are not independent; resampling whole
 * conversations keeps that (a cluster bootstrap).
 */
import { seededRandom } from '../../fixtures/signal.ts';
import { aggregate, type MetricResult } from '../metrics/aggregate.ts';
import type { MetricKey } from '../metrics/specs.ts';
import { percentile } from '../metrics/stats.ts';
import type { Report, ReportConversation } from './types.ts';

export const COMPARISON_FORMAT = 1;

export interface CompareOptions {
  /** Bootstrap resamples. Default 400. */
  resamples: number;
  /** Interval coverage, 0..1. Default 0.95. */
  level: number;
  seed: number;
}

const DEFAULTS: CompareOptions = { resamples: 400, level: 0.95, seed: 1 };

export interface Interval95 {
  lo: number;
  hi: number;
}

export interface RunFigure {
  value: number | null;
  /** Bootstrap interval of the value; null when too few resamples had a value. */
  ci: Interval95 | null;
  n: number;
  count?: number;
  na?: string;
}

export interface DeltaFigure {
  /** This run minus the first. */
  delta: number;
  ci: Interval95 | null;
  /** Resampled over the same conversation ids in both runs. */
  paired: boolean;
  /** The interval excludes 0. */
  clear: boolean;
  /** The difference goes the metric's better way. */
  better: boolean;
}

export interface MetricComparison {
  key: MetricKey;
  name: string;
  unit: MetricResult['unit'];
  better: MetricResult['better'];
  definition: string;
  runs: RunFigure[];
  /** Per run after the first: against the first; null where either has no value. */
  deltas: Array<DeltaFigure | null>;
}

export interface ConditionBreakdown {
  /** What the conversations are grouped by. */
  condition: 'difficulty' | 'background';
  value: string;
  conversations: number[];
  metrics: Array<{ key: MetricKey; values: Array<number | null>; n: number[] }>;
}

export interface RunInfoLine {
  label: string;
  suite: string;
  conversations: number;
  commit: string | null;
  generatedAt: string;
  command: string | null;
}

export interface Comparison {
  format: typeof COMPARISON_FORMAT;
  generatedAt: string;
  options: CompareOptions;
  runs: RunInfoLine[];
  /** Conversations the differences are paired over: all of them when every run played the same ones of the same script, else 0 (unpaired). */
  sharedConversations: number;
  metrics: MetricComparison[];
  breakdowns: ConditionBreakdown[];
  /** Latency samples per metric and run, for the overlaid distributions. */
  distributions: Array<{ key: MetricKey; name: string; unit: MetricResult['unit']; samples: number[][] }>;
}

/** Metrics a breakdown shows (the turn-taking figures a condition moves). */
const BREAKDOWN_KEYS: MetricKey[] = ['srr', 'sir', 'eir', 'false_barge_in', 'fsed', 'ird', 'tor_pause'];
const DISTRIBUTION_KEYS: MetricKey[] = ['fsed', 'ird', 'latency', 'resume_gap'];

function metricsOf(report: Report, conversations: ReportConversation[]): MetricResult[] {
  return aggregate(
    conversations,
    conversations.flatMap((c) => c.outcomes),
    { asr: report.environment.asr !== null, expectedGreeting: report.greetingText },
  );
}

/** Conversations drawn with replacement, each copy renamed so that ids stay unique. */
function draw(pool: ReportConversation[], picks: number[]): ReportConversation[] {
  return picks.map((i, k) => {
    const c = pool[i];
    const id = `${c.id}#${k}`;
    return { ...c, id, outcomes: c.outcomes.map((o) => ({ ...o, conversation: id })) };
  });
}

function interval(xs: number[], level: number, needed: number): Interval95 | null {
  if (xs.length < needed) return null;
  const tail = ((1 - level) / 2) * 100;
  return { lo: percentile(xs, tail), hi: percentile(xs, 100 - tail) };
}

export function compareReports(
  inputs: Array<{ label: string; report: Report }>,
  options: Partial<CompareOptions> = {},
): Comparison {
  if (inputs.length < 2) throw new Error('compare needs at least two runs');
  const opt = { ...DEFAULTS, ...options };
  // One random stream per run and one for the paired draws: a run's interval does not depend on
  // which other runs it is compared with.
  const streams = inputs.map((_, i) => seededRandom(opt.seed * 7919 + i));
  const pairStream = seededRandom(opt.seed * 7919 + 104_729);
  const full = inputs.map((r) => metricsOf(r.report, r.report.conversations));
  const keys = full[0].map((m) => m.key);
  // Resampled metric values: boot[run][b][key], and paired draws against run 0.
  const byId = inputs.map((r) => new Map(r.report.conversations.map((c) => [c.id, c])));
  // Paired only when every run played the same conversations of the same script: ids alone
  // coincide across unrelated sets (FDB's `task/1`, `call0`), and a partial overlap would put
  // an interval on a different quantity than the difference it qualifies.
  const ids0 = [...byId[0].keys()];
  const hashes = inputs.map((r) => r.report.run?.suiteHash).filter((h): h is string => !!h);
  const sameScript = hashes.length < inputs.length || hashes.every((h) => h === hashes[0]);
  const sameIds = byId.every((m) => m.size === ids0.length && ids0.every((id) => m.has(id)));
  const shared = sameScript && sameIds ? ids0 : [];
  const needed = Math.max(10, Math.floor(opt.resamples / 4));
  const single: Array<Map<MetricKey, number[]>> = inputs.map(() => new Map(keys.map((k) => [k, []])));
  const paired: Array<Map<MetricKey, number[]>> = inputs.map(() => new Map(keys.map((k) => [k, []])));
  const pick = (n: number, rand: () => number) => Array.from({ length: n }, () => Math.floor(rand() * n));
  for (let b = 0; b < opt.resamples; b++) {
    inputs.forEach((r, i) => {
      const pool = r.report.conversations;
      for (const m of metricsOf(r.report, draw(pool, pick(pool.length, streams[i]))))
        if (m.value !== null) single[i].get(m.key)!.push(m.value);
    });
    if (shared.length > 1) {
      const ids = pick(shared.length, pairStream).map((j) => shared[j]);
      const values = inputs.map((r, i) => {
        const pool = ids.map((id) => byId[i].get(id)!);
        return new Map(
          metricsOf(
            r.report,
            draw(
              pool,
              pool.map((_, j) => j),
            ),
          ).map((m) => [m.key, m.value] as const),
        );
      });
      for (let i = 1; i < inputs.length; i++)
        for (const k of keys) {
          const a = values[0].get(k);
          const v = values[i].get(k);
          if (a != null && v != null) paired[i].get(k)!.push(v - a);
        }
    }
  }
  const metrics: MetricComparison[] = full[0].map((m0, mi) => {
    const runs: RunFigure[] = full.map((f, i) => ({
      value: f[mi].value,
      ci: f[mi].value === null ? null : interval(single[i].get(m0.key)!, opt.level, needed),
      n: f[mi].n,
      ...(f[mi].count !== undefined ? { count: f[mi].count } : {}),
      ...(f[mi].na ? { na: f[mi].na } : {}),
    }));
    const deltas = full.slice(1).map((f, j): DeltaFigure | null => {
      const i = j + 1;
      const a = full[0][mi].value;
      const v = f[mi].value;
      if (a === null || v === null) return null;
      const isPaired = shared.length > 1 && paired[i].get(m0.key)!.length >= needed;
      // Unpaired: the difference of independent resamples of each run.
      const diffs = isPaired
        ? paired[i].get(m0.key)!
        : single[i]
            .get(m0.key)!
            .slice(0, single[0].get(m0.key)!.length)
            .map((x, b) => x - single[0].get(m0.key)![b]);
      const ci = interval(diffs, opt.level, needed);
      const delta = v - a;
      return {
        delta,
        ci,
        paired: isPaired,
        clear: ci !== null && (ci.lo > 0 || ci.hi < 0),
        better: m0.better === 'higher' ? delta > 0 : delta < 0,
      };
    });
    return {
      key: m0.key,
      name: m0.name,
      unit: m0.unit,
      better: m0.better,
      definition: m0.definition,
      runs,
      deltas,
    };
  });
  return {
    format: COMPARISON_FORMAT,
    generatedAt: new Date().toISOString(),
    options: opt,
    runs: inputs.map(({ label, report }) => ({
      label,
      suite: report.suite.name,
      conversations: report.conversations.length,
      commit: report.run?.commit ?? null,
      generatedAt: report.generatedAt,
      command: report.command ?? null,
    })),
    sharedConversations: shared.length,
    metrics,
    breakdowns: breakdowns(inputs),
    distributions: DISTRIBUTION_KEYS.flatMap((key) => {
      const i = keys.indexOf(key);
      if (i < 0) return [];
      const samples = full.map((f) => f[i].values ?? []);
      return samples.some((s) => s.length)
        ? [{ key, name: full[0][i].name, unit: full[0][i].unit, samples }]
        : [];
    }),
  };
}

/** The runs' metrics over the conversations of each difficulty and each background. */
function breakdowns(inputs: Array<{ label: string; report: Report }>): ConditionBreakdown[] {
  const out: ConditionBreakdown[] = [];
  for (const condition of ['difficulty', 'background'] as const) {
    const values = new Set(
      inputs.flatMap((r) => r.report.conversations.map((c) => c[condition]).filter((v): v is string => !!v)),
    );
    if (values.size < 2) continue;
    for (const value of [...values].sort()) {
      const subsets = inputs.map((r) => r.report.conversations.filter((c) => c[condition] === value));
      const results = inputs.map((r, i) => metricsOf(r.report, subsets[i]));
      out.push({
        condition,
        value,
        conversations: subsets.map((s) => s.length),
        metrics: BREAKDOWN_KEYS.map((key) => ({
          key,
          values: results.map((res) => res.find((m) => m.key === key)?.value ?? null),
          n: results.map((res) => res.find((m) => m.key === key)?.n ?? 0),
        })),
      });
    }
  }
  return out;
}
