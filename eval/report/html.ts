/**
 * Renders a Report as one self-contained HTML page: the metric table beside
 * the best published figures, latency distributions, stimulus counts, and a
 * timeline per conversation. No external resources of any kind.
 */
import { HUMAN_GAP_MS, publishedSetup } from '../metrics/published.ts';
import type { MetricResult } from '../metrics/aggregate.ts';
import { formatValue } from './format.ts';
import { KIND_COLORS, esc, histogramSvg, timelineSvg, type HistogramMarker } from './svg.ts';
import type { Report } from './types.ts';

export const REPORT_CSS = `
:root { --fg:#1d2330; --muted:#6b7280; --line:#e3e6ec; --bg:#fbfbfd; --good:#1e9e5a; --na:#8a8f99; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 30px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 6px 18px; margin: 10px 0 6px; font-size: 13px; }
.facts b { color: var(--muted); font-weight: 500; margin-right: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 14px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .v { font-size: 22px; font-weight: 600; } .card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 9px; border-bottom: 1px solid var(--line); vertical-align: top; font-size: 13px; }
th { background: #f3f4f8; font-weight: 600; }
td.val { font-weight: 600; white-space: nowrap; } td.na { color: var(--na); font-weight: 400; white-space: normal; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; background: #eceef3; color: #555; font-weight: 600; margin-right: 4px; }
.def { color: var(--muted); font-size: 12px; }
.dists { display: flex; flex-wrap: wrap; gap: 16px; }
.dist { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
.dist h3 { font-size: 13px; margin: 0 0 4px; }
.hist .bar { fill: #7c9be0; } .hist .axis { stroke: #999; } .tick { font-size: 10px; fill: #777; }
.mk { font-size: 10px; } line.median { stroke: #d9343a; stroke-width: 2; } text.median { fill: #d9343a; }
line.best { stroke: #1e9e5a; stroke-dasharray: 4 3; stroke-width: 2; } text.best { fill: #1e9e5a; }
line.human { stroke: #e08a00; stroke-dasharray: 2 2; stroke-width: 2; } text.human { fill: #b86f00; }
.conv { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 10px 0; }
.conv h3 { font-size: 14px; margin: 0; display: inline; } .conv .meta { color: var(--muted); font-size: 12px; margin-left: 8px; }
.conv ul { margin: 4px 0 0; padding-left: 18px; font-size: 12px; color: #444; }
.conv .err { color: #b00020; font-weight: 600; }
.timeline .lane { font-size: 10px; fill: #666; } .timeline .lane-line { stroke: #f0f1f4; stroke-width: ${14}; }
.timeline .grid { stroke: #e9ebf0; } .timeline .pause { fill: #fff; stroke: #888; stroke-dasharray: 2 2; }
.timeline .ev-start { fill: #2f6fdf; } .timeline .ev-end { fill: #9bb7e8; } .timeline .ev-clear { stroke: #d9343a; stroke-width: 2; }
.timeline .ev-out { fill: #1e9e5a; } .timeline .skip { font-size: 12px; fill: #999; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: #444; margin: 6px 0; }
.legend i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.warn { background: #fff6e5; border: 1px solid #f0c36d; border-radius: 8px; padding: 8px 12px; margin: 10px 0; font-size: 13px; }
.warn ul { margin: 4px 0 0; padding-left: 18px; }
.muted { color: var(--muted); } code { background: #f1f2f6; padding: 1px 4px; border-radius: 3px; }
`;

function metricRow(m: MetricResult): string {
  const best = m.published.length
    ? m.published
        .map(
          (p) =>
            `${esc(p.system)} <b>${formatValue(p.value, p.unit)}</b> <span class="def">${esc(publishedSetup(p))}</span>`,
        )
        .join('<br>')
    : '<span class="muted">—</span>';
  const n = m.count !== undefined && m.unit !== 'ms' ? `${m.count}/${m.n}` : String(m.n);
  const value =
    m.value === null
      ? `<td class="val na" data-na="1"><span class="badge">n/a</span>${esc(m.na ?? '')}</td>`
      : `<td class="val">${formatValue(m.value, m.unit)}${m.p90 !== undefined ? ` <span class="def">p90 ${formatValue(m.p90, m.unit)}</span>` : ''}</td>`;
  return `<tr data-metric="${m.key}"><td>${esc(m.name)}<div class="def">${esc(m.definition)} · ${m.better} is better</div></td>${value}<td>${n}</td><td>${best}</td></tr>`;
}

function distributions(report: Report): string {
  const boxes: string[] = [];
  for (const m of report.metrics) {
    if (!m.values || m.values.length === 0 || m.value === null) continue;
    const markers: HistogramMarker[] = [
      { value: m.value, label: `median ${formatValue(m.value, m.unit)}`, cls: 'median' },
    ];
    const best = m.published.find((p) => p.unit === m.unit);
    if (best)
      markers.push({
        value: best.value,
        label: `${best.system} ${formatValue(best.value, best.unit)}`,
        cls: 'best',
      });
    if (m.key === 'fsed' || m.key === 'latency')
      markers.push({ value: HUMAN_GAP_MS, label: `human gap ${HUMAN_GAP_MS} ms`, cls: 'human' });
    boxes.push(
      `<div class="dist" data-dist="${m.key}"><h3>${esc(m.name)} <span class="def">n=${m.values.length}</span></h3>${histogramSvg(m.values, markers, m.unit)}</div>`,
    );
  }
  return boxes.length
    ? `<div class="dists">${boxes.join('')}</div>`
    : '<p class="muted">No latency samples in this run.</p>';
}

function counts(report: Report): string {
  const kinds = ['inquiry', 'interrupt', 'backchannel', 'noise', 'distractor'];
  const skippedBy: Record<string, number> = {};
  for (const c of report.conversations)
    for (const s of c.skipped) skippedBy[s.kind] = (skippedBy[s.kind] ?? 0) + 1;
  const rows = kinds.map(
    (k) =>
      `<tr><td><i style="display:inline-block;width:10px;height:10px;background:${KIND_COLORS[k]};border-radius:2px"></i> ${k}</td><td>${(report.counts.stimuli[k] ?? 0) + (skippedBy[k] ?? 0)}</td><td>${report.counts.stimuli[k] ?? 0}</td><td>${report.counts.duringSystem[k] ?? 0}</td><td>${skippedBy[k] ?? 0}</td></tr>`,
  );
  const reasons = Object.entries(report.counts.skippedReasons)
    .map(([r, n]) => `<li>${n} × ${esc(r)}</li>`)
    .join('');
  return `<table class="counts"><tr><th>stimulus</th><th>scripted</th><th>played</th><th>while the system spoke</th><th>skipped</th></tr>${rows.join('')}</table>${reasons ? `<p class="def">Skipped steps wait for a system event that never came:</p><ul class="def">${reasons}</ul>` : ''}`;
}

/** Where replies wait, stage by stage (eval/metrics/stages.ts). */
function stages(report: Report): string {
  const rows = report.replyStages ?? [];
  if (rows.length === 0) return '<p class="muted">No replies with turn-taking events in this run.</p>';
  const max = Math.max(...rows.map((r) => r.p90Ms), 1);
  const body = rows
    .map(
      (r) =>
        `<tr data-stage="${esc(r.type)}"><td>${esc(r.label)}</td><td>${r.medianMs} ms</td><td>${r.p90Ms} ms</td><td>${r.n}</td><td><i style="display:inline-block;height:8px;width:${Math.round((160 * r.medianMs) / max)}px;background:#4a7bd0"></i></td></tr>`,
    )
    .join('');
  return `<table class="counts"><tr><th>stage (arrival at the caller − end of the inquiry)</th><th>median</th><th>p90</th><th>n</th><th></th></tr>${body}</table>`;
}

/** The headline figures, with short labels. */
const CARDS: Array<[MetricResult['key'], string]> = [
  ['sir', 'SIR (stopped inside the interruption)'],
  ['ird', 'IRD (median stop delay)'],
  ['false_barge_in', 'false barge-in rate'],
  ['tor_backchannel', 'stops on backchannels'],
  ['vad_onset', 'server VAD onset error'],
  ['srr', 'SRR (replies)'],
];

function cards(report: Report): string {
  return `<div class="cards">${CARDS.map(([k, label]) => {
    const m = report.metrics.find((x) => x.key === k);
    if (!m) return '';
    const v = m.value === null ? 'n/a' : formatValue(m.value, m.unit);
    return `<div class="card"${m.value === null ? ` title="${esc(m.na ?? '')}"` : ''}><div class="v">${v}</div><div class="k">${esc(label)}</div></div>`;
  }).join('')}</div>`;
}

function conversations(report: Report): string {
  return report.conversations
    .map((c) => {
      const said = c.words?.map((w) => w.word).join(' ');
      const items = c.outcomes.map((o) => {
        const st = c.stimuli.find((s) => s.index === o.index);
        return `<li><b style="color:${KIND_COLORS[o.kind]}">${o.kind}</b> ${esc(st ? `“${st.text}”` : '')} <span class="muted">@${Math.round(o.onsetMs)} ms</span> — ${esc(o.verdict)}</li>`;
      });
      for (const s of c.skipped)
        items.push(`<li class="muted">${s.kind} #${s.index} skipped: ${esc(s.reason)}</li>`);
      if (said !== undefined)
        items.push(`<li>system said (pocketsphinx): <i>${esc(said || '(nothing recognized)')}</i></li>`);
      for (const n of c.notes) items.push(`<li class="muted">note: ${esc(n)}</li>`);
      const meta = [c.difficulty, c.voice, c.background, c.description]
        .filter(Boolean)
        .map((x) => esc(String(x)))
        .join(' · ');
      return `<section class="conv" id="conv-${esc(c.id)}"><h3>${esc(c.id)}</h3><span class="meta">${meta}</span>${c.error ? `<div class="err">session failed: ${esc(c.error)}</div>` : ''}${timelineSvg(c)}<ul>${items.join('')}</ul></section>`;
    })
    .join('\n');
}

/** Stimuli that stood in for missing data, said at the top: the figures are not the real suite's. */
function standInBox(report: Report): string {
  const s = report.standIns ?? [];
  if (s.length === 0) return '';
  const n = s.reduce((a, x) => a + x.count, 0);
  return `<div class="warn" data-stand-ins="${n}"><b>${n} stimuli stood in for missing data</b>, so these figures are not those of the suite as written. Get the data with <code>npx tsx eval/cli.ts data</code> (or <code>--from DIR</code>).<ul>${s
    .map((x) => `<li>${esc(x.reason)} (${x.count})</li>`)
    .join('')}</ul></div>`;
}

/** The server under test in one line: version, commit and the models /health named. */
export function serverLine(s: NonNullable<NonNullable<Report['run']>['server']>): string {
  if (s.unavailable) return `/health unavailable (${s.unavailable})`;
  const models = (['vad', 'eot', 'asr', 'llm', 'tts', 'speaker'] as const)
    .map((k) => `${k} ${s[k] ?? 'none'}`)
    .join('; ');
  return `${s.version ? `banter ${s.version}` : 'version unknown'}${s.commit ? ` (${s.commit})` : ''}; ${models}`;
}

export function renderHtml(report: Report): string {
  const run = report.run;
  const facts = [
    ['suite', `${report.suite.name} (${report.counts.conversations} conversations)`],
    ['generated', report.generatedAt.replace('T', ' ').replace(/\..*/, ' UTC')],
    ['target', run ? `${run.url}${run.local ? ` (banter, ${run.local})` : ''}` : 'offline import'],
    ['server VAD', run?.vad ?? '—'],
    ['system-side ASR', report.environment.asr ?? `none (${report.environment.asrReason ?? 'unavailable'})`],
    [
      'machine',
      `${report.environment.cpus} × ${report.environment.cpuModel}${report.environment.memGiB ? `, ${report.environment.memGiB} GiB` : ''}${report.environment.os ? `, ${report.environment.os}` : ''}, Node ${report.environment.node}`,
    ],
    ...(run?.commit ? [['harness commit', run.commit]] : []),
    ...(run?.suiteHash ? [['suite hash', run.suiteHash]] : []),
    ...(run?.server ? [['server', serverLine(run.server)]] : []),
    ...(run
      ? [['pacing', `worst caller lag ${Math.round(run.maxLagMs)} ms; ${run.sessionsFailed} failed sessions`]]
      : []),
    ...(run?.eventLagMs
      ? [
          [
            'event lag',
            `vad.speech_start reached the caller ${Math.round(run.eventLagMs.median)} ms after its t_ms (p90 ${Math.round(run.eventLagMs.p90)} ms)`,
          ],
        ]
      : []),
    ...(run?.wallMs ? [['wall time', `${Math.round(run.wallMs / 1000)} s`]] : []),
  ];
  const legend = [
    ['inquiry', KIND_COLORS.inquiry],
    ['interruption', KIND_COLORS.interrupt],
    ['backchannel', KIND_COLORS.backchannel],
    ['noise / cough', KIND_COLORS.noise],
    ['distractor speaker', KIND_COLORS.distractor],
    ['server VAD segment', KIND_COLORS.callerVad],
    ['system speech (Silero on what the caller heard)', KIND_COLORS.system],
  ]
    .map(([l, c]) => `<span><i style="background:${c}"></i>${l}</span>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>banter evaluation: ${esc(report.suite.name)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<h1>banter evaluation — ${esc(report.suite.name)} suite</h1>
<p class="sub">${esc(report.suite.description)}</p>
<div class="facts">${facts.map(([k, v]) => `<div><b>${esc(k)}</b>${esc(v)}</div>`).join('')}</div>
${standInBox(report)}
${report.command ? `<p class="def">command: <code>${esc(report.command)}</code></p>` : ''}
${cards(report)}
<h2>Metrics</h2>
<table class="metrics"><thead><tr><th>metric</th><th>banter</th><th>n</th><th>best published</th></tr></thead><tbody>
${report.metrics.map(metricRow).join('\n')}
</tbody></table>
<p class="def">System speech is timed by Silero VAD on what the caller heard; caller speech by the clean clips' ground truth; the system's words by pocketsphinx. n/a rows name the behaviour the server does not show yet.</p>
<h2>Where a reply waits</h2>
${stages(report)}
<h2>Distributions</h2>
${distributions(report)}
<h2>Stimuli</h2>
${counts(report)}
<h2>Conversations</h2>
<div class="legend">${legend}<span>▲▼ server vad.speech_start / speech_end</span><span style="color:#d9343a">| audio.clear</span><span>● output.start</span><span>⊘ skipped step</span></div>
${conversations(report)}
</main></body></html>
`;
}
