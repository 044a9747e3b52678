/** Metric values as the report prints them: rates to 0.1 %, delays to the ms, ratios to 3 places. */
import type { Unit } from '../metrics/specs.ts';

export function formatValue(v: number, unit: Unit): string {
  if (unit === '%') return `${v.toFixed(1)}%`;
  if (unit === 'ms') return `${Math.round(v)} ms`;
  return v.toFixed(3);
}
