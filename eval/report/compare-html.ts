/**
 * A Comparison as one self-contained HTML page: the runs, every metric per run with its
 * interval, the differences from the first run, per-condition breakdowns, and the latency
 * distributions overlaid as cumulative curves. No external resources.
 */
import type { Comparison, DeltaFigure, RunFigure } from './compare.ts';
import { formatValue } from './format.ts';
import { REPORT_CSS } from './html.ts';
import { esc } from './svg.ts';

const RUN_COLORS = ['#2f6fdf', '#d9343a', '#1e9e5a', '#e08a00', '#8e44ad', '#555'];

const CSS = `${REPORT_CSS}
td.ci { color: var(--muted); white-space: nowrap; font-size: 12px; }
td.d-better { color: #1e7a47; font-weight: 600; } td.d-worse { color: #b00020; font-weight: 600; }
td.d-unclear { color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.cdf .axis { stroke: #999; } .cdf path { fill: none; stroke-width: 2; }
`;

const unitText = (unit: string) => (unit === 'ratio' ? '' : unit === '%' ? ' points' : ` ${unit}`);

function fmt(v: number | null, unit: Comparison['metrics'][number]['unit']): string {
  return v === null ? '—' : formatValue(v, unit);
}

function fmtDelta(v: number, unit: Comparison['metrics'][number]['unit']): string {
  const s = v > 0 ? '+' : v < 0 ? '−' : '±';
  const a = Math.abs(v);
  return `${s}${unit === 'ms' ? Math.round(a) : unit === '%' ? a.toFixed(1) : a.toFixed(3)}${unitText(unit)}`;
}

function runCell(r: RunFigure, unit: Comparison['metrics'][number]['unit']): string {
  if (r.value === null) return `<td class="val na" colspan="2">n/a${r.na ? `: ${esc(r.na)}` : ''}</td>`;
  const n = r.count !== undefined && unit !== 'ms' ? `${r.count}/${r.n}` : `n ${r.n}`;
  const ci = r.ci ? `[${fmt(r.ci.lo, unit)}, ${fmt(r.ci.hi, unit)}]` : 'too few cases';
  return `<td class="val">${fmt(r.value, unit)} <span class="def">${n}</span></td><td class="ci">${ci}</td>`;
}

function deltaCell(d: DeltaFigure | null, unit: Comparison['metrics'][number]['unit']): string {
  if (!d) return '<td class="d-unclear">—</td>';
  const cls = !d.clear ? 'd-unclear' : d.better ? 'd-better' : 'd-worse';
  const ci = d.ci
    ? ` <span class="def">[${fmtDelta(d.ci.lo, unit)}, ${fmtDelta(d.ci.hi, unit)}]${d.paired ? '' : ' unpaired'}</span>`
    : '';
  const verdict = !d.clear ? 'within noise' : d.better ? 'better' : 'worse';
  return `<td class="${cls}" title="${verdict}">${fmtDelta(d.delta, unit)}${ci}</td>`;
}

/** Empirical cumulative distributions, one curve per run, on one axis. */
export function cdfSvg(samples: number[][], unit: string, width = 360, height = 170): string {
  const all = samples.flat();
  if (all.length === 0) return '<p class="muted">no samples</p>';
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all, lo + 1);
  const L = 30;
  const B = height - 30;
  const plotW = width - L - 10;
  const x = (v: number) => L + ((v - lo) / (hi - lo)) * plotW;
  const y = (p: number) => B - p * (B - 10);
  const parts = [
    `<line x1="${L}" x2="${width - 10}" y1="${B}" y2="${B}" class="axis"/>`,
    `<line x1="${L}" x2="${L}" y1="${B}" y2="10" class="axis"/>`,
    `<text x="${L - 4}" y="${y(1) + 4}" class="tick" text-anchor="end">1</text>`,
    `<text x="${L - 4}" y="${y(0.5) + 4}" class="tick" text-anchor="end">.5</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<text x="${x(v)}" y="${B + 14}" class="tick" text-anchor="middle">${Math.round(v)}</text>`);
  }
  parts.push(`<text x="${width - 10}" y="${B + 26}" class="tick" text-anchor="end">${esc(unit)}</text>`);
  samples.forEach((s, i) => {
    if (s.length === 0) return;
    const xs = [...s].sort((a, b) => a - b);
    let d = `M${x(xs[0]).toFixed(1)},${y(0)}`;
    xs.forEach((v, k) => {
      d += ` L${x(v).toFixed(1)},${y(k / xs.length).toFixed(1)} L${x(v).toFixed(1)},${y((k + 1) / xs.length).toFixed(1)}`;
    });
    parts.push(
      `<path d="${d}" stroke="${RUN_COLORS[i % RUN_COLORS.length]}"><title>run ${i + 1}: ${xs.length} samples</title></path>`,
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="cdf">${parts.join('')}</svg>`;
}

export function renderComparisonHtml(c: Comparison): string {
  const labels = c.runs.map((r) => r.label);
  const swatch = (i: number) =>
    `<i class="swatch" style="background:${RUN_COLORS[i % RUN_COLORS.length]}"></i>`;
  const runs = c.runs
    .map(
      (r, i) =>
        `<tr><td>${swatch(i)}<b>${esc(r.label)}</b></td><td>${esc(r.suite)}</td><td>${r.conversations}</td><td><code>${esc(r.commit ?? '—')}</code></td><td>${esc(r.generatedAt)}</td><td class="def">${esc(r.command ?? '')}</td></tr>`,
    )
    .join('');
  const head = `<tr><th>metric</th>${labels.map((l, i) => `<th colspan="2">${swatch(i)}${esc(l)}</th>`).join('')}${labels
    .slice(1)
    .map((l) => `<th>${esc(l)} − ${esc(labels[0])}</th>`)
    .join('')}</tr>`;
  const rows = c.metrics
    .map(
      (m) =>
        `<tr class="metric"><td>${esc(m.name)} <span class="badge">${m.better} is better</span><div class="def">${esc(m.definition)}</div></td>${m.runs
          .map((r) => runCell(r, m.unit))
          .join('')}${m.deltas.map((d) => deltaCell(d, m.unit)).join('')}</tr>`,
    )
    .join('');
  const names = new Map(c.metrics.map((m) => [m.key, m] as const));
  const breakdown = c.breakdowns.length
    ? `<table><tr><th>condition</th><th>conversations</th>${[
        ...new Set(c.breakdowns.flatMap((b) => b.metrics.map((m) => m.key))),
      ]
        .map((k) => `<th>${esc(names.get(k)?.name.split(':')[0] ?? k)}</th>`)
        .join('')}</tr>${c.breakdowns
        .map(
          (b) =>
            `<tr><td>${esc(b.condition)}: <b>${esc(b.value)}</b></td><td>${b.conversations.join(' / ')}</td>${b.metrics
              .map((m) => {
                const unit = names.get(m.key)?.unit ?? 'ms';
                return `<td>${m.values.map((v, i) => `${swatch(i)}${fmt(v, unit)}`).join('<br>')}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">The runs hold a single difficulty and background: no breakdown.</p>';
  const dists = c.distributions
    .map((d) => `<div class="dist"><h3>${esc(d.name)}</h3>${cdfSvg(d.samples, d.unit)}</div>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>banter comparison: ${labels.map(esc).join(' vs ')}</title><style>${CSS}</style></head><body><main>
<h1>banter comparison: ${labels.map(esc).join(' vs ')}</h1>
<p class="sub">Each value with its ${Math.round(c.options.level * 100)} % bootstrap interval over conversations (${c.options.resamples} resamples, seed ${c.options.seed}). Differences are against <b>${esc(labels[0])}</b>, ${c.sharedConversations > 1 ? `paired over the ${c.sharedConversations} conversations the runs share` : 'unpaired (the runs share no conversations)'}; green: better beyond the interval, red: worse, grey: within noise.</p>
<h2>Runs</h2><table><tr><th>run</th><th>suite</th><th>conversations</th><th>commit</th><th>generated</th><th>command</th></tr>${runs}</table>
<h2>Metrics</h2><table class="metrics">${head}${rows}</table>
<h2>By condition</h2>${breakdown}
<h2>Latency distributions</h2><p class="def">Cumulative share of samples at or under each delay: a curve to the left is faster.</p><div class="legend">${labels.map((l, i) => `<span>${swatch(i)}${esc(l)}</span>`).join('')}</div><div class="dists">${dists || '<p class="muted">no latency samples</p>'}</div>
</main></body></html>
`;
}
