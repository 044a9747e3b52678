import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.ts';
import { metricsMarkdown, standIns } from './report.ts';
import { sampleReport } from './sample.ts';

describe('report page', () => {
  const report = sampleReport();
  const html = renderHtml(report);

  it('lists every metric, with n/a and its reason where there is no value', () => {
    for (const m of report.metrics) expect(html).toContain(`data-metric="${m.key}"`);
    const na = report.metrics.filter((m) => m.value === null);
    expect(na.length).toBeGreaterThan(0);
    expect((html.match(/data-na="1"/g) ?? []).length).toBe(na.length);
  });

  it('puts the best published figures beside ours', () => {
    expect(html).toContain('Moshi <b>83.1%</b>');
    expect(html).toContain('FireRedChat <b>10.2%</b>');
  });

  it('draws one timeline per conversation and the latency distributions', () => {
    expect((html.match(/<svg class="timeline"/g) ?? []).length).toBe(2);
    expect(html).toContain('data-dist="ird"');
    expect(html).toContain('data-dist="vad_onset"');
  });

  it('shows where replies wait, stage by stage', () => {
    const withStages = {
      ...report,
      replyStages: [
        { type: 'vad.speech_end', label: 'speech end (server VAD)', medianMs: 480, p90Ms: 600, n: 3 },
        { type: 'audible', label: 'reply audible at the caller (FSED)', medianMs: 900, p90Ms: 1100, n: 3 },
      ],
    };
    const page = renderHtml(withStages);
    expect(page).toContain('data-stage="vad.speech_end"');
    expect(page).toContain('<td>900 ms</td>');
    expect(metricsMarkdown(withStages)).toContain('| speech end (server VAD) | 480 ms | 600 ms | 3 |');
    expect(renderHtml({ ...report, replyStages: [] })).toContain('No replies with turn-taking events');
  });

  it('is self-contained: no scripts, links, images or fonts from anywhere', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|https?:\/\//i);
  });

  it('escapes what callers said', () => {
    expect(html).toContain('Wait, &lt;that&gt; is not what I asked.');
    expect(html).not.toContain('<that>');
  });

  it('shows skipped steps and notes', () => {
    expect(html).toContain('output.start:reply not seen within 6000 ms');
    expect(html).toContain('a stand-in voice was used');
  });

  it('renders the metric table as Markdown for the docs', () => {
    const md = metricsMarkdown(report);
    expect(md.split('\n\n')[0].split('\n')).toHaveLength(report.metrics.length + 2);
    expect(md).toContain(
      '| SIR: success interrupt rate | 100.0% | 1/1 | Moshi 83.1% (FD-Bench; GPU (inferred)) |',
    );
  });

  it('says at the top which stimuli stood in for missing data, and why', () => {
    const t = sampleReport().conversations;
    const notes = [
      'step 2: /x/test-other is absent; espeak-ng:en-gb-scotland+m3 stands in for libri:1688',
      'step 5: /x/test-other is absent; espeak-ng:en-gb-scotland+m3 stands in for libri:1688',
      'file:running_tap.wav: /x/speech-commands is absent; pink noise stands in',
      'step 1: pocketsphinx missing',
    ];
    const s = standIns([{ ...t[0], notes }]);
    expect(s).toEqual([
      { reason: '/x/test-other is absent; espeak-ng:en-gb-scotland+m3 stands in for libri:1688', count: 2 },
      { reason: 'file:running_tap.wav: /x/speech-commands is absent; pink noise stands in', count: 1 },
    ]);
    const page = renderHtml({ ...report, standIns: s });
    expect(page).toContain('data-stand-ins="3"');
    expect(page.indexOf('data-stand-ins')).toBeLessThan(page.indexOf('data-metric='));
    expect(renderHtml({ ...report, standIns: [] })).not.toContain('data-stand-ins');
  });
});
