/** Files in, files out against the real server: an mp3 caller track in, a time-aligned answer track out. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable, utter } from '../../fixtures/synth.ts';
import { encodeAudioFile } from '../audio/decode.ts';
import { readWav as readPcmWav } from '../../server/audio/wav.ts';
import { startLocalServer } from '../runner/run.ts';
import { runOfflineFile } from './offline.ts';

const flite = engineAvailable('flite');
if (!flite) console.warn('offline.test: flite missing (apt-get install flite): skipped');

describe.skipIf(!flite)('offline mode', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  const dir = mkdtempSync(join(tmpdir(), 'banter-offline-'));
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'streams an mp3 through a session and writes output.wav aligned with input.wav',
    { timeout: 60_000 },
    async () => {
      const u = await utter('Sorry, can I stop you there?', 'flite:rms', { levelDbfs: -23 });
      const track = new Float32Array(4 * 16000);
      track.set(u.samples, 16000); // speech from about 1 s: over the greeting
      const mp3 = join(dir, 'caller.mp3');
      await encodeAudioFile(mp3, [track], 16000);
      const out = join(dir, 'out');
      const r = await runOfflineFile(mp3, out, { url: server.url, greeting: true, tailMs: 1000 });
      expect(r.recording.error).toBeUndefined();
      const input = readPcmWav(join(out, 'input.wav'));
      const output = readPcmWav(join(out, 'output.wav'));
      expect(output.samples.length).toBe(input.samples.length);
      const loud = (x: Float32Array, fromMs: number, toMs: number) => {
        let m = 0;
        for (let i = fromMs * 16; i < toMs * 16; i++) m = Math.max(m, Math.abs(x[i]));
        return m > 0.01;
      };
      // The greeting plays from the start and is cut by the caller's speech (about 1 s in); silence after.
      expect(loud(output.samples, 100, 800)).toBe(true);
      expect(loud(output.samples, 1800, 4000)).toBe(false);
      const events = JSON.parse(readFileSync(join(out, 'events.json'), 'utf8')) as {
        events: Array<{ msg: { type: string } }>;
      };
      expect(events.events.map((e) => e.msg.type)).toContain('audio.clear');
    },
  );
});
