/**
 * Two-channel recordings from any system, scored with banter's metrics: one WAV per
 * conversation, the caller on one channel and the system on the other (the shape FD-Bench and
 * most duplex systems' demos record). There is no ground truth, so the caller's turns are found
 * by Silero and a turn that begins over system speech counts as an interruption (inferStimuli,
 * as for an FDB sample without labels).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { resampleAll } from '../../server/audio/resampler.ts';
import { readWav } from '../../server/audio/wav.ts';
import type { SileroModel } from '../../server/turn-taking/silero.ts';
import type { RecordedConversation } from '../metrics/analyze.ts';
import { inferredConversation } from './fdb.ts';

const SR = 16000;

export class TwoChannelError extends Error {
  readonly code = 'recording_not_two_channel';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** WAV files under dir (two levels deep), sorted. */
export function findRecordings(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (depth < 2) visit(p, depth + 1);
      } else if (extname(name).toLowerCase() === '.wav') out.push(p);
    }
  };
  visit(dir, 0);
  return out;
}

/** One two-channel WAV as a recorded conversation; `callerChannel` says which channel is the caller (0 or 1). */
export async function importTwoChannel(
  file: string,
  vad: SileroModel,
  options: { root?: string; callerChannel?: 0 | 1 } = {},
): Promise<RecordedConversation> {
  const wav = readWav(file);
  if (wav.channels.length !== 2)
    throw new TwoChannelError(file, `${wav.channels.length} channel(s); expected 2 (caller and system)`);
  const c = options.callerChannel ?? 0;
  const caller = await resampleAll(wav.channels[c], wav.sampleRate, SR);
  const system = await resampleAll(wav.channels[1 - c], wav.sampleRate, SR);
  const rel = options.root ? relative(options.root, file).split(sep).join('/') : basename(file);
  return inferredConversation(
    rel.replace(/\.wav$/i, ''),
    `two-channel recording ${rel} (caller on channel ${c}, turns found by Silero)`,
    caller,
    system,
    vad,
    'the recording',
  );
}
