import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudioFile, encodeAudioFile, ffmpegPath } from './decode.ts';

describe('any audio format in (bundled ffmpeg)', () => {
  it('uses the ffmpeg binary shipped in the npm package', () => {
    expect(ffmpegPath()).toMatch(/@ffmpeg-installer/);
    expect(existsSync(ffmpegPath())).toBe(true);
  });

  it.each(['mp3', 'm4a', 'ogg', 'flac', 'wav'])('round-trips %s to 16 kHz mono', async (ext) => {
    const dir = mkdtempSync(join(tmpdir(), 'banter-dec-'));
    try {
      const sr = 44100;
      const tone = new Float32Array(sr);
      for (let i = 0; i < sr; i++) tone[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / sr);
      const path = join(dir, `tone.${ext}`);
      await encodeAudioFile(path, [tone], sr);
      const out = await decodeAudioFile(path, 16000);
      // Encoders pad a little (mp3/aac priming); the length stays within 100 ms of 1 s.
      expect(Math.abs(out.length - 16000)).toBeLessThan(1600);
      let sum = 0;
      for (let i = 2000; i < 14000; i++) sum += out[i] * out[i];
      expect(Math.sqrt(sum / 12000)).toBeCloseTo(0.3 / Math.SQRT2, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a file it cannot decode with a coded error', async () => {
    await expect(decodeAudioFile('/nonexistent.mp3')).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });
});
