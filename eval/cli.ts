/**
 * banter's evaluation harness on the command line.
 *
 *   npx tsx eval/cli.ts run [--suite standard|smoke|<file>] [--url ws://host:port/v1/stream] [--out DIR]
 *                           [--concurrency N] [--only id,id] [--limit N] [--no-asr] [--no-install-asr]
 *                           [--allow-any-voice] [--greeting-text TEXT] [--speed X] [--in-process]
 *                           [--server-args="--asr pocketsphinx"]  (flags for banter in its own process)
 *   npx tsx eval/cli.ts smoke                      # the CI suite, into eval/out/smoke
 *   npx tsx eval/cli.ts score DIR [--out DIR] [--caller-channel 0|1]
 *                                                  # re-score a run's recordings; or score another system's:
 *                                                  # FDB-layout samples, or two-channel WAVs (caller, system)
 *   npx tsx eval/cli.ts summary DIR OUT.json [--commit REV]   # a run's metric summary (no audio), for docs/results/
 *   npx tsx eval/cli.ts generate                   # rewrite eval/scenarios/{standard,smoke}.yaml
 *   npx tsx eval/cli.ts offline IN... [--out DIR] [--url URL] [--greeting] [--tail-ms N]
 *                                                  # audio files (any format) or FDB sample folders -> output.wav
 *   npx tsx eval/cli.ts fdb-export RUN_DIR DEST    # a run in Full-Duplex-Bench's layout
 *   npx tsx eval/cli.ts fdb-import DIR [--out DIR] # score FDB-layout recordings with banter's metrics
 *   npx tsx eval/cli.ts compare RUN_A RUN_B [...] [--out DIR] [--labels a,b] [--resamples N]
 *                                                  # runs side by side: intervals, differences, breakdowns
 *   npx tsx eval/cli.ts data [--from DIR] [--dest DIR] [--check]
 *                                                  # the suites' recorded voices and noises, checked, into eval/data
 *   npx tsx eval/cli.ts screenshot REPORT.html PNG # open a report in chromium, check it, screenshot it
 *
 * Without --url, banter itself is started on a free port: as its own process
 * (`server/main.ts`, as deployed), or in this one with --in-process.
 * Exit status: 0 done, 1 a session or check failed, 2 bad usage.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSilero } from '../server/turn-taking/silero.ts';
import { analyzeConversation, type RecordedConversation } from './metrics/analyze.ts';
import { ensurePocketsphinx } from './metrics/asr.ts';
import { exportFdb, findFdbSamples, importFdbSample } from './offline/fdb.ts';
import { outputPaths, runOfflineFile } from './offline/offline.ts';
import { findRecordings, importTwoChannel } from './offline/two-channel.ts';
import { compareReports } from './report/compare.ts';
import {
  checkData,
  DataError,
  EVAL_DATA_DIR,
  installFromArchives,
  installFromFolder,
  loadManifest,
} from './datasets/datasets.ts';
import { renderComparisonHtml } from './report/compare-html.ts';
import { Progress } from './progress.ts';
import { checkReportPage, chromiumAvailable } from './report/browser.ts';
import { buildReport, metricsMarkdown, writeReport } from './report/report.ts';
import { summarize } from './report/summary.ts';
import type { Report } from './report/types.ts';
import { analyzeRun, pool, runSuite, spawnLocalServer } from './runner/run.ts';
import { listConversations } from './runner/artifacts.ts';
import { SCENARIO_DIR, generateSmokeSuite, generateStandardSuite, suiteToYaml } from './scenario/generate.ts';
import { loadSuite, type Suite } from './scenario/schema.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT = (name: string) => join(repoRoot, 'eval/out', name);

class UsageError extends Error {}

function suiteFrom(arg: string): Suite {
  const named = join(SCENARIO_DIR, `${arg}.yaml`);
  if (existsSync(named)) return loadSuite(named);
  if (existsSync(arg)) return loadSuite(arg);
  throw new UsageError(`no suite named ${arg} (eval/scenarios/${arg}.yaml) and no such file`);
}

function printSummary(report: Report, outDir: string): void {
  console.log(`\n${metricsMarkdown(report)}\n`);
  const standIns = report.standIns ?? [];
  if (standIns.length) {
    const n = standIns.reduce((a, x) => a + x.count, 0);
    console.log(`warning: ${n} stimuli stood in for missing data (get it with: npx tsx eval/cli.ts data):`);
    for (const s of standIns) console.log(`  ${s.count} x ${s.reason}`);
  }
  console.log(`report: ${join(outDir, 'report.html')}`);
  console.log(`        ${join(outDir, 'report.json')}`);
}

async function cmdRun(argv: string[], defaults: { suite?: string; out?: string } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      suite: { type: 'string', default: defaults.suite ?? 'standard' },
      url: { type: 'string' },
      out: { type: 'string' },
      concurrency: { type: 'string', default: '6' },
      only: { type: 'string' },
      limit: { type: 'string' },
      'no-asr': { type: 'boolean', default: false },
      'no-install-asr': { type: 'boolean', default: false },
      'allow-any-voice': { type: 'boolean', default: false },
      'greeting-text': { type: 'string' },
      speed: { type: 'string', default: '1' },
      'in-process': { type: 'boolean', default: false },
      'server-args': { type: 'string' },
    },
    strict: true,
  });
  const serverArgs = values['server-args']?.split(/\s+/).filter(Boolean) ?? [];
  if (serverArgs.length > 0 && (values.url || values['in-process']))
    throw new UsageError(
      '--server-args applies only to banter started as its own process (no --url, no --in-process)',
    );
  let suite = suiteFrom(values.suite!);
  if (values.only) {
    const ids = new Set(values.only.split(','));
    suite = { ...suite, conversations: suite.conversations.filter((c) => ids.has(c.id)) };
  }
  if (values.limit) suite = { ...suite, conversations: suite.conversations.slice(0, Number(values.limit)) };
  if (suite.conversations.length === 0) throw new UsageError('no conversations selected');
  const outDir = resolve(values.out ?? defaults.out ?? DEFAULT_OUT(suite.name));
  const concurrency = Number(values.concurrency);
  if (!(concurrency >= 1)) throw new UsageError('--concurrency must be >= 1');
  const report = await runSuite({
    suite,
    outDir,
    url: values.url,
    concurrency,
    installAsr: !values['no-install-asr'],
    noAsr: values['no-asr'],
    allowAnyVoice: values['allow-any-voice'],
    greetingText: values['greeting-text'],
    speed: Number(values.speed),
    inProcess: values['in-process'],
    serverArgs,
    progress: new Progress(),
    command: `npx tsx eval/cli.ts ${process.argv.slice(2).join(' ')}`,
  });
  printSummary(report, outDir);
  return report.run && report.run.sessionsFailed > 0 ? 1 : 0;
}

async function cmdScore(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: {
      'greeting-text': { type: 'string' },
      out: { type: 'string' },
      'caller-channel': { type: 'string', default: '0' },
    },
    allowPositionals: true,
    strict: true,
  });
  const dir = resolve(positionals[0] ?? DEFAULT_OUT('standard'));
  if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
  const ids = listConversations(dir);
  if (ids.length === 0) {
    // Not a banter run: recordings of another system, in FDB's layout or as two-channel WAVs.
    if (findFdbSamples(dir).length > 0) return cmdFdbImport([dir, ...optionArgs(values)]);
    const channel = values['caller-channel'];
    if (channel !== '0' && channel !== '1') throw new UsageError('--caller-channel is 0 or 1');
    const files = findRecordings(dir);
    if (files.length === 0)
      throw new UsageError(
        `${dir} holds no banter run, no Full-Duplex-Bench samples (input.wav + output.wav) and no WAV recordings`,
      );
    return scoreImported(dir, values, files.length, 'two-channel recordings', (vad) =>
      files.map(
        (f) => () => importTwoChannel(f, vad, { root: dir, callerChannel: Number(channel) as 0 | 1 }),
      ),
    );
  }
  const previous = existsSync(join(dir, 'report.json'))
    ? (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report)
    : null;
  const asr = ensurePocketsphinx({ install: false });
  const progress = new Progress();
  const timelines = await analyzeRun(dir, ids, { asr: asr.available, progress });
  progress.end();
  const report = buildReport({
    suite: previous?.suite ?? { name: basename(dir), description: '', conversations: ids.length },
    timelines,
    asr: asr.available ? 'pocketsphinx (Debian, en-us)' : null,
    asrReason: asr.reason,
    greetingText: values['greeting-text'] ?? previous?.greetingText,
    run: previous?.run ?? null,
    command: previous?.command,
  });
  const outDir = resolve(values.out ?? dir);
  mkdirSync(outDir, { recursive: true });
  writeReport(outDir, report);
  printSummary(report, outDir);
  return 0;
}

function optionArgs(values: { out?: string; 'greeting-text'?: string }): string[] {
  return [
    ...(values.out ? ['--out', values.out] : []),
    ...(values['greeting-text'] ? ['--greeting-text', values['greeting-text']] : []),
  ];
}

/**
 * Scores recordings banter did not make (FDB samples, two-channel WAVs): each loaded, analysed
 * like a run's conversation, and reported under <out> (default DIR/banter-report).
 */
async function scoreImported(
  dir: string,
  values: { out?: string; 'greeting-text'?: string },
  count: number,
  what: string,
  loaders: (vad: Awaited<ReturnType<typeof loadSilero>>) => Array<() => Promise<RecordedConversation>>,
): Promise<number> {
  const outDir = resolve(values.out ?? join(dir, 'banter-report'));
  const asr = ensurePocketsphinx({ install: false });
  const vad = await loadSilero({ version: 'v5' });
  const progress = new Progress();
  const timelines = [];
  const failed: string[] = [];
  try {
    progress.phase('import + analyse', count);
    for (const [k, load] of loaders(vad).entries()) {
      // One unreadable sample (bad labels, a mono file) is reported and skipped: the rest is scored.
      try {
        const rec = await load();
        timelines.push(await analyzeConversation(rec, { vad, asr: asr.available }));
        progress.tick(rec.id);
      } catch (e) {
        const code = e instanceof Error && 'code' in e ? `${String(e.code)}: ` : '';
        failed.push(`${code}${(e as Error).message}`);
        progress.log(`skipped sample ${k + 1}: ${code}${(e as Error).message}`);
        progress.tick(`sample ${k + 1} (skipped)`);
      }
    }
  } finally {
    progress.end();
    await vad.release();
  }
  if (timelines.length === 0) {
    console.error(`eval: none of the ${count} ${what} could be read (first: ${failed[0]})`);
    return 1;
  }
  const report = buildReport({
    suite: { name: `import of ${basename(dir)}`, description: `${what} from ${dir}`, conversations: count },
    timelines,
    asr: asr.available ? 'pocketsphinx (Debian, en-us)' : null,
    asrReason: asr.reason,
    greetingText: values['greeting-text'],
    run: null,
    command: `npx tsx eval/cli.ts ${process.argv.slice(2).join(' ')}`,
  });
  mkdirSync(outDir, { recursive: true });
  writeReport(outDir, report);
  printSummary(report, outDir);
  if (failed.length) {
    console.error(`${failed.length} of ${count} ${what} skipped:\n  ${failed.join('\n  ')}`);
    return 1;
  }
  return 0;
}

async function cmdSummary(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { commit: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [dir, out] = positionals;
  if (!dir || !out) throw new UsageError('usage: summary RUN_DIR OUT.json [--commit REV]');
  const path = join(resolve(dir), 'report.json');
  if (!existsSync(path)) throw new UsageError(`${path} does not exist (run or score first)`);
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  const commit = values.commit ?? report.run?.commit;
  if (!commit) throw new UsageError('the run recorded no commit: say which with --commit');
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summarize(report, commit), null, 2)}\n`);
  console.log(`wrote ${out}`);
  return 0;
}

const AUDIO_EXT = new Set(['.wav', '.mp3', '.m4a', '.ogg', '.opus', '.flac', '.aac', '.webm']);

async function cmdOffline(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      url: { type: 'string' },
      greeting: { type: 'boolean', default: false },
      'tail-ms': { type: 'string', default: '3000' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0)
    throw new UsageError('offline needs audio files or Full-Duplex-Bench sample folders');
  // Jobs: every file and every sample folder (one holding input.wav) found under a folder, each
  // written under <out> at its path below the folder the inputs share (outputPaths).
  const inputs: Array<{ path: string; isDir: boolean; arg?: string }> = [];
  for (const p of positionals) {
    if (statSync(p).isDirectory()) {
      const samples = findInputSamples(p);
      if (samples.length === 0) throw new UsageError(`${p}: no */input.wav inside`);
      for (const s of samples) inputs.push({ path: s, isDir: true, arg: p });
    } else {
      if (!AUDIO_EXT.has(extname(p).toLowerCase()))
        console.warn(`${p}: unfamiliar extension, trying ffmpeg anyway`);
      inputs.push({ path: resolve(p), isDir: false });
    }
  }
  const outRoot = resolve(values.out ?? DEFAULT_OUT('offline'));
  const outs = outputPaths(inputs, outRoot);
  const jobs = inputs.map((i, k) => ({ input: i.isDir ? join(i.path, 'input.wav') : i.path, out: outs[k] }));
  const clash = outs.find((o, k) => outs.indexOf(o) !== k);
  if (clash) throw new UsageError(`two inputs would write ${clash}: pass each file once`);
  const server = values.url ? null : await spawnLocalServer();
  const url = values.url ?? server!.url;
  const progress = new Progress();
  let failed = 0;
  try {
    progress.phase('offline (real time)', jobs.length);
    await pool(jobs, 4, async (j) => {
      const r = await runOfflineFile(j.input, j.out, {
        url,
        greeting: values.greeting,
        tailMs: Number(values['tail-ms']),
      });
      if (r.recording.error) {
        failed++;
        progress.log(`${j.input}: ${r.recording.error}`);
      }
      progress.tick(j.out);
    });
  } finally {
    progress.end();
    await server?.close();
  }
  console.log(`wrote input.wav, output.wav and events.json for ${jobs.length} sample(s) under ${outRoot}`);
  return failed ? 1 : 0;
}

function findInputSamples(dir: string): string[] {
  const root = resolve(dir);
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    if (existsSync(join(d, 'input.wav'))) out.push(d);
    if (depth >= 3) return;
    for (const name of readdirSafe(d))
      if (statSync(join(d, name)).isDirectory()) visit(join(d, name), depth + 1);
  };
  visit(root, 0);
  return out.sort();
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

async function cmdFdbExport(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true });
  const [runDir, dest] = positionals;
  if (!runDir || !dest) throw new UsageError('fdb-export RUN_DIR DEST');
  const reportPath = join(runDir, 'report.json');
  const timelines = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Report).conversations
    : [];
  const dirs = exportFdb(resolve(runDir), resolve(dest), timelines);
  console.log(
    `exported ${dirs.length} samples to ${resolve(dest)} (input.wav, output.wav, output.json, banter.json${dirs.length ? ', interrupt.json where one was scripted' : ''})`,
  );
  return 0;
}

async function cmdFdbImport(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, 'greeting-text': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const dir = positionals[0];
  if (!dir) throw new UsageError('fdb-import DIR');
  const root = resolve(dir);
  const samples = findFdbSamples(root);
  if (samples.length === 0) throw new UsageError(`${dir}: no sample folders with input.wav and output.wav`);
  return scoreImported(root, values, samples.length, 'Full-Duplex-Bench layout recordings', (vad) =>
    samples.map((s) => () => importFdbSample(s, vad, root)),
  );
}

async function cmdCompare(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      labels: { type: 'string' },
      resamples: { type: 'string', default: '400' },
      seed: { type: 'string', default: '1' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length < 2) throw new UsageError('compare RUN_A RUN_B [...] [--out DIR] [--labels a,b]');
  const labels = values.labels?.split(',') ?? positionals.map((p) => basename(resolve(p)));
  if (labels.length !== positionals.length)
    throw new UsageError(`--labels names ${labels.length} runs; ${positionals.length} were given`);
  const resamples = Number(values.resamples);
  if (!Number.isInteger(resamples) || resamples < 20)
    throw new UsageError('--resamples is a whole number, 20 or more');
  const inputs = positionals.map((p, i) => {
    const path = join(resolve(p), 'report.json');
    if (!existsSync(path)) throw new UsageError(`${path} does not exist (run or score first)`);
    let report: Report;
    try {
      report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    } catch (e) {
      throw new UsageError(`${path} is not a report (${(e as Error).message})`);
    }
    if (!Array.isArray(report?.conversations) || !Array.isArray(report.metrics))
      throw new UsageError(`${path} is not a banter report (no conversations or metrics)`);
    return { label: labels[i], report };
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError('--seed is a whole number');
  const comparison = compareReports(inputs, { resamples, seed });
  const outDir = resolve(values.out ?? DEFAULT_OUT('compare'));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'comparison.json'), `${JSON.stringify(comparison, null, 1)}\n`);
  writeFileSync(join(outDir, 'comparison.html'), renderComparisonHtml(comparison));
  const clear = comparison.metrics.flatMap((m) =>
    m.deltas.flatMap((d, j) =>
      d?.clear
        ? [
            `  ${labels[j + 1]} vs ${labels[0]}: ${m.name} ${d.better ? 'better' : 'worse'} (${d.delta > 0 ? '+' : ''}${Math.round(d.delta * 1000) / 1000})`,
          ]
        : [],
    ),
  );
  console.log(
    clear.length
      ? `differences beyond the ${Math.round(comparison.options.level * 100)} % intervals:\n${clear.join('\n')}`
      : 'no difference beyond the intervals',
  );
  console.log(`wrote ${join(outDir, 'comparison.html')} and comparison.json`);
  return 0;
}

async function cmdData(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      dest: { type: 'string' },
      check: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const dest = resolve(values.dest ?? EVAL_DATA_DIR);
  const manifest = loadManifest();
  if (!values.check) {
    try {
      const n = values.from
        ? await installFromFolder(resolve(values.from), dest, manifest)
        : await installFromArchives(dest, { manifest, log: (l) => console.log(l) });
      console.log(`placed ${n} files under ${dest}`);
    } catch (e) {
      if (e instanceof DataError) {
        console.error(`eval data: ${e.code}: ${e.message}`);
        return 1;
      }
      throw e;
    }
  }
  const r = await checkData(dest, manifest);
  console.log(
    `${dest}: ${r.ok}/${manifest.files.length} files pass their checksums${r.missing.length ? `; ${r.missing.length} missing` : ''}${r.mismatched.length ? `; ${r.mismatched.length} differ: ${r.mismatched.slice(0, 3).join(', ')}` : ''}`,
  );
  return r.ok === manifest.files.length ? 0 : 1;
}

async function cmdScreenshot(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: {
      width: { type: 'string', default: '1280' },
      height: { type: 'string', default: '1500' },
      'full-page': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [html, png] = positionals;
  if (!html || !png) throw new UsageError('screenshot REPORT.html OUT.png');
  if (!chromiumAvailable()) {
    console.error(
      'chromium is not installed at /usr/bin/chromium (apt-get install chromium); cannot take the screenshot',
    );
    return 1;
  }
  const check = await checkReportPage(resolve(html), resolve(png), {
    width: Number(values.width),
    height: Number(values.height),
    fullPage: values['full-page'],
  });
  console.log(JSON.stringify(check, null, 1));
  return check.problems.length === 0 && check.metricRows > 0 ? 0 : 1;
}

function cmdGenerate(): number {
  for (const suite of [generateStandardSuite(), generateSmokeSuite()]) {
    const path = join(SCENARIO_DIR, `${suite.name}.yaml`);
    writeFileSync(path, suiteToYaml(suite));
    console.log(`wrote ${path} (${suite.conversations.length} conversations)`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'run', ...rest] = argv;
  switch (command) {
    case 'run':
      return cmdRun(rest);
    case 'smoke':
      return cmdRun(rest, { suite: 'smoke', out: DEFAULT_OUT('smoke') });
    case 'score':
      return cmdScore(rest);
    case 'summary':
      return cmdSummary(rest);
    case 'offline':
      return cmdOffline(rest);
    case 'fdb-export':
      return cmdFdbExport(rest);
    case 'fdb-import':
      return cmdFdbImport(rest);
    case 'data':
      return cmdData(rest);
    case 'compare':
      return cmdCompare(rest);
    case 'screenshot':
      return cmdScreenshot(rest);
    case 'generate':
      return cmdGenerate();
    case 'help':
    case '--help':
    case '-h':
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('*/')[0]
          .replace(/^\/\*\*?|^ \* ?/gm, ''),
      );
      return 0;
    default:
      // `eval --suite smoke` works like `eval run --suite smoke`.
      if (command.startsWith('--')) return cmdRun(argv);
      throw new UsageError(`unknown command ${command} (try help)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (
        err instanceof UsageError ||
        (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
      ) {
        console.error(`eval: ${err.message}`);
        process.exit(2);
      }
      // The harness's own coded errors (bad labels, a recording of the wrong shape, a failed
      // download) are the user's to fix: the code and the reason, no stack.
      if (
        err instanceof Error &&
        'code' in err &&
        typeof err.code === 'string' &&
        /^[a-z_]+$/.test(err.code)
      ) {
        console.error(`eval: ${err.code}: ${err.message}`);
        process.exit(1);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
