/**
 * The suite's figures: every row of the metric table (specs.ts) evaluated
 * over the outcomes of all conversations, with the best published figures
 * beside it.
 */
import { suiteFacts, type AggregateOptions, type SuiteFacts } from './facts.ts';
import type { Outcome } from './metrics.ts';
import { PUBLISHED, type PublishedFigure } from './published.ts';
import { METRICS, NO_CASES, type MetricKey, type MetricSpec, type Unit } from './specs.ts';
import { mean, median, percentile } from './stats.ts';
import type { Timeline } from './timeline.ts';

export interface MetricResult {
  key: MetricKey;
  name: string;
  unit: Unit;
  better: 'higher' | 'lower';
  /** null when not applicable (see `na`). */
  value: number | null;
  /** Rates: numerator and denominator. Delays: number of samples. */
  count?: number;
  n: number;
  p90?: number;
  /** Why there is no value. */
  na?: string;
  definition: string;
  published: PublishedFigure[];
  /** Samples behind a distribution, for the report's plots. */
  values?: number[];
}

type Figure = Pick<MetricResult, 'value' | 'count' | 'n' | 'p90' | 'na' | 'values'>;

/** What to say when there is no value: the row's reason, else its no-cases reason when there are no cases. */
const reason = (na: string | null, empty: boolean, noCases: string | null) =>
  na ? { na } : empty && noCases ? { na: noCases } : {};

const SUMMARIES: Record<
  Exclude<MetricSpec['summary'], 'rate'>,
  (xs: number[], na: string | null, noCases: string | null) => Figure
> = {
  'median-p90': (xs, na, noCases) => ({
    value: na || xs.length === 0 ? null : median(xs),
    n: xs.length,
    ...(xs.length ? { p90: percentile(xs, 90), values: xs } : {}),
    ...reason(na, xs.length === 0, noCases),
  }),
  median: (xs, na, noCases) => ({
    value: na || xs.length === 0 ? null : median(xs),
    n: xs.length,
    values: xs,
    ...reason(na, xs.length === 0, noCases),
  }),
  mean: (xs, na, noCases) => ({
    value: na || xs.length === 0 ? null : mean(xs),
    n: xs.length,
    ...reason(na, xs.length === 0, noCases),
  }),
};

function figure(spec: MetricSpec, f: SuiteFacts): Figure {
  const unavailable = spec.unavailable?.(f);
  if (unavailable) return { value: null, n: 0, na: unavailable };
  const na = spec.na?.(f) ?? null;
  const noCases = spec.noCases === undefined ? NO_CASES : spec.noCases;
  if (spec.summary === 'rate') {
    const { hits, of } = spec.cases(f);
    return {
      value: na || of === 0 ? null : ((spec.unit === '%' ? 100 : 1) * hits) / of,
      count: hits,
      n: of,
      ...reason(na, of === 0, noCases),
    };
  }
  const result = SUMMARIES[spec.summary](spec.samples(f), na, noCases);
  return spec.countSamples ? { ...result, count: result.n } : result;
}

export function aggregate(
  timelines: Timeline[],
  outcomes: Outcome[],
  options: AggregateOptions,
): MetricResult[] {
  const facts = suiteFacts(timelines, outcomes, options);
  return METRICS.map((spec) => ({
    key: spec.key,
    name: spec.name,
    unit: spec.unit,
    better: spec.better,
    definition: spec.definition,
    published: PUBLISHED[spec.key] ?? [],
    ...figure(spec, facts),
  }));
}
