/**
 * Full-pipeline conversations at once: how fast banter answers, what each stage costs, and how
 * many concurrent calls one server keeps up with. The server runs in its own process with
 * Silero, PocketSphinx (`--asr pocketsphinx`), banter-tdm and flite. Each session is a caller
 * streaming in real time (20 ms PCM16 frames, quiet noise between turns), asking questions in
 * flite voices (rms, awb, kal16) and waiting for each answer to end.
 *
 * Per turn, from the wall time the caller's last voiced sample was sent:
 * - vad_end: vad.speech_end arrives (the VAD's hangover);
 * - asr_final: asr.final arrives (PocketSphinx decodes the rest after the speech end);
 * - end_of_turn: the first turn.event end_of_turn (the end-of-turn model);
 * - first_text: llm_first_text (the model's decision and first word);
 * - first_audio: the reply's first audio frame arrives (flite's first clause, the writer).
 * `first_audio` is the response latency a caller hears (FD-Bench's FSED measures the same span
 * on recorded audio). A level keeps up when every turn is answered and its median response
 * latency is within 1.5x of one session's.
 *
 *   npx tsx bench/conversation.ts [levels, default 1,4,8] [questions per session, default 4] [workers, default 1]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { PIPELINE_SAMPLE_RATE } from '../server/audio/rates.ts';
import type { ServerMessageOf } from '../server/protocol/messages.ts';
import { Caller } from '../server/testing/live-caller.ts';
import { spawnServer } from '../server/testing/spawn-server.ts';
import { StreamClient, sleep } from '../server/testing/stream-client.ts';
import { FliteEngine, voicedSpan } from '../server/tts/flite.ts';

const levels = (process.argv[2] ?? '1,4,8').split(',').map(Number);
const questionsPerSession = Number(process.argv[3] ?? 4);
const workers = process.argv[4] ?? '1';

const QUESTIONS = [
  'hi can you help me book a table for dinner tonight',
  'can you tell me about the weather this weekend',
  'what time does the museum open tomorrow',
  'i would like to find a good italian restaurant',
  'could you play some music for me',
  'how long does it take to drive to the airport',
];
const VOICES = ['rms', 'awb', 'kal16'];

interface Turn {
  vad_end: number;
  asr_final: number;
  end_of_turn: number;
  first_text: number;
  first_audio: number;
  answered: boolean;
}

const voice = new FliteEngine();
const prompts: { pcm: Float32Array; voicedEnd: number }[] = [];
for (const [i, q] of QUESTIONS.entries()) {
  const pcm = await voice.synthesize(q, VOICES[i % VOICES.length]);
  prompts.push({ pcm, voicedEnd: voicedSpan(pcm).end - 1 });
}
await voice.close();

const banter = await spawnServer({
  args: ['--port', '0', '--asr', 'pocketsphinx', '--workers', workers, '--log-level', 'warn'],
  inheritStderr: true,
});

/** CPU seconds and parent of one process, from /proc (children it has reaped included). */
function procStat(pid: number): { own: number; reaped: number; ppid: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    own: (Number(fields[11]) + Number(fields[12])) / 100,
    reaped: (Number(fields[13]) + Number(fields[14])) / 100,
    ppid: Number(fields[1]),
  };
}

/**
 * CPU seconds so far by stage: the server's own threads (VAD, end-of-turn, TDM model, I/O), the
 * flite process, and the recognizer (live PocketSphinx processes, and the finished ones the
 * server has reaped).
 */
function stageCpu(): { server: number; flite: number; recognizer: number } {
  const procs = new Map<number, { own: number; reaped: number; ppid: number; cmd: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      procs.set(Number(entry), { ...procStat(Number(entry)), cmd });
    } catch {
      // the process ended while we looked
    }
  }
  const root = banter.child.pid!;
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; hops < 8; hops++) {
      if (p === root) return true;
      const next = procs.get(p)?.ppid;
      if (!next) return false;
      p = next;
    }
    return false;
  };
  const cpu = { server: 0, flite: 0, recognizer: 0 };
  for (const [pid, p] of procs) {
    if (!inTree(pid)) continue;
    if (p.cmd.includes('flite-worker')) cpu.flite += p.own;
    else if (p.cmd.includes('server/main.ts')) {
      cpu.server += p.own;
      cpu.recognizer += p.reaped; // finished PocketSphinx runs (and their sh/cat)
    } else if (!p.cmd.startsWith(process.execPath) || p.cmd.includes('pocketsphinx')) cpu.recognizer += p.own;
  }
  return cpu;
}

async function converse(index: number): Promise<Turn[]> {
  const client = await StreamClient.start(banter.url, { greeting: false });
  const caller = new Caller(client);
  const turns: Turn[] = [];
  await sleep(300 + 150 * index); // the callers do not all speak in step
  for (let q = 0; q < questionsPerSession; q++) {
    const prompt = prompts[(index + q) % prompts.length];
    const seen = client.events.length;
    const endWall = await caller.say(prompt.pcm, prompt.voicedEnd);
    const after = (type: string, test: (m: never) => boolean = () => true) =>
      client.events.slice(seen).find((e) => e.message.type === type && test(e.message as never));
    let start: ReturnType<typeof after>;
    for (let waited = 0; waited < 8000 && !start; waited += 50) {
      await sleep(50);
      start = after('output.start', (m: ServerMessageOf<'output.start'>) => m.kind === 'reply');
    }
    const turn: Turn = {
      vad_end: NaN,
      asr_final: NaN,
      end_of_turn: NaN,
      first_text: NaN,
      first_audio: NaN,
      answered: !!start,
    };
    if (start) {
      const id = (start.message as ServerMessageOf<'output.start'>).id;
      for (let waited = 0; waited < 20_000; waited += 100) {
        if (after('output.end', (m: ServerMessageOf<'output.end'>) => m.id === id)) break;
        await sleep(100);
      }
      const frame = client.audioFrames.find((f) => f.wallMs >= start.wallMs);
      const at = (e: { wallMs: number } | undefined) => (e ? e.wallMs - endWall : NaN);
      turn.vad_end = at(after('vad.speech_end'));
      turn.asr_final = at(after('asr.final'));
      turn.end_of_turn = at(
        after('turn.event', (m: ServerMessageOf<'turn.event'>) => m.event === 'end_of_turn'),
      );
      turn.first_text = at(
        after('turn.event', (m: ServerMessageOf<'turn.event'>) => m.event === 'llm_first_text'),
      );
      turn.first_audio = at(frame);
    }
    turns.push(turn);
    await sleep(1000);
  }
  await caller.stop();
  await client.close();
  return turns;
}

const pct = (xs: number[], p: number) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : NaN;
};

console.log(
  `banter: ${banter.url}, --workers ${workers}; ${questionsPerSession} questions per session, real time`,
);
console.log(
  'sessions | answered | response p50 / p95 ms | vad_end | asr_final | end_of_turn | first_text (p50 ms) | CPU cores: server / flite / recognizer | per session-second of conversation: ms of CPU',
);
let single = NaN;
for (const n of levels) {
  const cpu0 = stageCpu();
  const wall0 = performance.now();
  const results = (await Promise.all(Array.from({ length: n }, (_, i) => converse(i)))).flat();
  const wallS = (performance.now() - wall0) / 1000;
  const cpu1 = stageCpu();
  const cores = {
    server: (cpu1.server - cpu0.server) / wallS,
    flite: (cpu1.flite - cpu0.flite) / wallS,
    recognizer: (cpu1.recognizer - cpu0.recognizer) / wallS,
  };
  const answered = results.filter((t) => t.answered).length;
  const p50 = pct(
    results.map((t) => t.first_audio),
    50,
  );
  if (n === levels[0]) single = p50;
  const keepsUp = answered === results.length && p50 <= 1.5 * single;
  const perSessionSecond = (c: number) => Math.round((c * 1000) / n);
  console.log(
    [
      n,
      `${answered}/${results.length}`,
      `${p50} / ${pct(
        results.map((t) => t.first_audio),
        95,
      )}`,
      pct(
        results.map((t) => t.vad_end),
        50,
      ),
      pct(
        results.map((t) => t.asr_final),
        50,
      ),
      pct(
        results.map((t) => t.end_of_turn),
        50,
      ),
      pct(
        results.map((t) => t.first_text),
        50,
      ),
      `${cores.server.toFixed(2)} / ${cores.flite.toFixed(2)} / ${cores.recognizer.toFixed(2)}`,
      `${perSessionSecond(cores.server)} / ${perSessionSecond(cores.flite)} / ${perSessionSecond(cores.recognizer)}`,
      keepsUp ? 'keeps up' : 'FALLS BEHIND',
    ].join(' | '),
  );
}
console.log(`pipeline rate ${PIPELINE_SAMPLE_RATE} Hz`);
await banter.close();
