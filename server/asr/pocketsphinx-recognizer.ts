/**
 * A recognizer over CMU PocketSphinx (Debian's `pocketsphinx` and `pocketsphinx-en-us`): a
 * bridge that lets banter converse until its own streaming model (issue #9) is trained. It is
 * an engine the user installs, not a model banter ships, so it is never the default.
 *
 * One `pocketsphinx_continuous` process per utterance, reading raw 16 kHz audio on stdin: the
 * next one is spawned (and loads its model, about 0.6 s of CPU) as soon as the last utterance's
 * final is out, so it is warm when the caller speaks again. It decodes while the audio arrives; at the
 * endpoint its stdin is closed and it prints the words of what is left, with times. It gives no
 * partials: endpointing reads the final. Times come back relative to the utterance's first
 * sample and are mapped onto the session clock here.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import { ModelError } from '../models/errors.ts';
import type {
  RecognizedWord,
  Recognizer,
  RecognizerStream,
  Transcript,
  TranscriptListener,
} from './recognizer.ts';

export const PocketsphinxOptions = z.strictObject({
  /** The decoder binary. Default: pocketsphinx_continuous on PATH. */
  binary: z.string().default('pocketsphinx_continuous'),
  /** Acoustic model folder (-hmm); default: the package's en-us model. */
  hmm: z.string().optional(),
  /** Language model (-lm); default: the package's en-us model. */
  lm: z.string().optional(),
  /** Pronunciation dictionary (-dict); default: the package's cmudict. */
  dict: z.string().optional(),
});
export type PocketsphinxOptions = z.infer<typeof PocketsphinxOptions>;

/** A line `word start_s end_s confidence` of `-time yes` output. */
const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

/**
 * The words of one utterance from the decoder's output, times in ms from its first sample.
 * Fillers (`<s>`, `</s>`, `<sil>`, `[NOISE]`, `++UM++`) are dropped and alternative
 * pronunciations (`to(3)`) are named by their word.
 */
export function parsePocketsphinxOutput(output: string): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  for (const line of output.split('\n')) {
    const m = WORD_LINE.exec(line.trim());
    if (!m) continue;
    const token = m[1];
    if (/^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(token)) continue;
    words.push({
      text: token.replace(/\(\d+\)$/, ''),
      startMs: Math.round(Number(m[2]) * 1000),
      endMs: Math.round(Number(m[3]) * 1000),
      confidence: Math.min(1, Math.max(0, Number(m[4]))),
    });
  }
  return words;
}

interface Utterance {
  proc: ChildProcessWithoutNullStreams;
  stdout: string[];
  exited: Promise<{ code: number | null; stderr: string }>;
}

function kill(u: Utterance): void {
  try {
    if (u.proc.pid !== undefined) process.kill(-u.proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

class PocketsphinxStream implements RecognizerStream {
  private next: Utterance | null = null;
  /** Session clock at the first sample of the open utterance; null when none is open. */
  private startMs: number | null = null;
  private samples = 0;
  private closed = false;

  constructor(
    private readonly args: string[],
    private readonly binary: string,
    private readonly onTranscript: TranscriptListener,
  ) {
    this.next = this.spawn();
  }

  private spawn(): Utterance {
    // Node's stdio "pipe" is a socket, which the decoder cannot open as /dev/stdin: `cat` turns it
    // into a real pipe. Its own process group, so a kill reaches both.
    const proc = spawn('sh', ['-c', 'cat | exec "$0" "$@"', this.binary, ...this.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: string[] = [];
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    // A decoder killed on reset or close must not surface as an EPIPE on a write.
    proc.stdin.on('error', () => {});
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      proc.on('error', (err) => resolve({ code: -1, stderr: String(err) }));
      proc.on('close', (code) => resolve({ code, stderr }));
    });
    return { proc, stdout, exited };
  }

  async push(samples: Float32Array, atMs: number): Promise<void> {
    if (this.closed || samples.length === 0) return;
    this.next ??= this.spawn();
    if (this.startMs === null) {
      this.startMs = atMs;
      this.samples = 0;
    }
    const pcm = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      pcm.writeInt16LE(Math.round(s * 32767), i * 2);
    }
    this.samples += samples.length;
    if (!this.next.proc.stdin.write(pcm)) {
      await new Promise<void>((resolve) => {
        this.next?.proc.stdin.once('drain', resolve);
        void this.next?.exited.then(() => resolve());
      });
    }
  }

  async endpoint(): Promise<void> {
    const utterance = this.next;
    const startMs = this.startMs;
    if (this.closed || !utterance || startMs === null) return;
    this.startMs = null;
    this.next = null;
    utterance.proc.stdin.end();
    const { code, stderr } = await utterance.exited;
    // The spare for the next utterance loads its model (about 0.6 s of CPU) only now: started
    // beside this final, it slowed the final by 0.1-0.2 s on a busy machine. Speech before this
    // point spawns it in push(); the pipe holds the audio while it loads.
    if (!this.closed) this.next ??= this.spawn();
    if (code !== 0) throw new Error(`pocketsphinx exited with ${code}: ${stderr.trim().slice(-300)}`);
    const endMs = startMs + (this.samples * 1000) / PIPELINE_SAMPLE_RATE;
    const words = parsePocketsphinxOutput(utterance.stdout.join('')).map((w) => ({
      ...w,
      startMs: startMs + w.startMs,
      endMs: startMs + w.endMs,
    }));
    const text = words.map((w) => w.text).join(' ');
    const transcript: Transcript = { kind: 'final', stable: text, unstable: '', words, startMs, endMs };
    if (!this.closed) this.onTranscript(transcript);
  }

  reset(): void {
    if (this.startMs === null) return;
    this.startMs = null;
    if (this.next) kill(this.next);
    this.next = this.spawn();
  }

  close(): void {
    this.closed = true;
    if (this.next) kill(this.next);
    this.next = null;
  }
}

/** Checks the binary and model files once at start-up; a missing one is a coded ModelError. */
export function loadPocketsphinxRecognizer(options: PocketsphinxOptions): Recognizer {
  const probe = spawnSync(options.binary, ['-h'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) {
    throw new ModelError(
      'model_missing',
      options.binary,
      `pocketsphinx: cannot run ${options.binary} (${probe.error.message}); install Debian's pocketsphinx and pocketsphinx-en-us`,
    );
  }
  const args = ['-infile', '/dev/stdin', '-logfn', '/dev/null', '-time', 'yes'];
  args.push('-samprate', String(PIPELINE_SAMPLE_RATE));
  for (const [flag, path] of [
    ['-hmm', options.hmm],
    ['-lm', options.lm],
    ['-dict', options.dict],
  ] as const) {
    if (path === undefined) continue;
    if (!existsSync(path))
      throw new ModelError('model_missing', path, `pocketsphinx: ${flag} ${path} does not exist`);
    args.push(flag, path);
  }
  const streams = new Set<PocketsphinxStream>();
  return {
    label: 'pocketsphinx:en-us',
    createStream(onTranscript) {
      const stream = new PocketsphinxStream(args, options.binary, onTranscript);
      streams.add(stream);
      const close = stream.close.bind(stream);
      stream.close = () => {
        streams.delete(stream);
        close();
      };
      return stream;
    },
    close() {
      for (const s of streams) s.close();
    },
  };
}
