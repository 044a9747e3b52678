/**
 * What a run leaves on disk, per conversation:
 *
 *   <out>/conversations/<id>/recording.wav   stereo 16 kHz: left = caller (sent), right = system (heard)
 *   <out>/conversations/<id>/conversation.json  stimuli with ground truth, skipped steps, server events, notes
 *
 * Enough to re-score a run (`eval score <out>`) or export it to
 * Full-Duplex-Bench's layout without talking to a server again.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWav, writeWav } from '../../server/audio/wav.ts';
import type { RecordedConversation } from '../metrics/analyze.ts';

export const CONVERSATIONS_DIR = 'conversations';

type ConversationMeta = Omit<RecordedConversation, 'caller' | 'system'> & { pacing?: unknown };

export function saveConversation(
  outDir: string,
  rec: RecordedConversation,
  extra: { pacing?: unknown } = {},
): string {
  const dir = join(outDir, CONVERSATIONS_DIR, rec.id);
  mkdirSync(dir, { recursive: true });
  const n = Math.max(rec.caller.length, rec.system.length);
  const pad = (x: Float32Array) => {
    if (x.length === n) return x;
    const out = new Float32Array(n);
    out.set(x);
    return out;
  };
  writeWav(join(dir, 'recording.wav'), [pad(rec.caller), pad(rec.system)], rec.sampleRate);
  const { caller: _c, system: _s, ...meta } = rec;
  const recording = `${CONVERSATIONS_DIR}/${rec.id}/recording.wav`;
  writeFileSync(
    join(dir, 'conversation.json'),
    `${JSON.stringify({ ...meta, recording, ...extra }, null, 1)}\n`,
  );
  return recording;
}

export function loadConversation(outDir: string, id: string): RecordedConversation {
  const dir = join(outDir, CONVERSATIONS_DIR, id);
  const meta = JSON.parse(readFileSync(join(dir, 'conversation.json'), 'utf8')) as ConversationMeta;
  const wav = readWav(join(dir, 'recording.wav'));
  if (wav.channels.length !== 2)
    throw new Error(`${dir}/recording.wav: expected 2 channels, got ${wav.channels.length}`);
  return { ...meta, sampleRate: wav.sampleRate, caller: wav.channels[0], system: wav.channels[1] };
}

export function listConversations(outDir: string): string[] {
  const dir = join(outDir, CONVERSATIONS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((id) => existsSync(join(dir, id, 'conversation.json')))
    .sort();
}
