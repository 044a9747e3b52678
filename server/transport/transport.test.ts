import OpusScript from 'opusscript';
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { BanterError } from '../protocol/errors.ts';
import { Framer } from '../audio/framer.ts';
import { checkInputFormat, createInputDecoder } from './input-decoder.ts';
import { createOutputEncoder } from './output-encoder.ts';
import { floatToInt16, floatToPcm16, pcm16ToFloat } from '../audio/pcm.ts';
import { createResampler, resampleAll } from '../audio/resampler.ts';

const tone = (hz: number, rate: number, ms: number, amp = 0.5) =>
  Float32Array.from({ length: (rate * ms) / 1000 }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

/** Dominant frequency by counting zero crossings (enough for a pure tone). */
function zeroCrossingHz(x: Float32Array, rate: number): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1] < 0 !== x[i] < 0) n++;
  return (n / 2) * (rate / x.length);
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('pcm16', () => {
  it('round-trips little-endian int16 with clipping', () => {
    const x = Float32Array.from([0, 0.5, -0.5, 1.5, -1.5]);
    const bytes = floatToPcm16(x);
    expect(bytes[2]).toBe(0xff & floatToInt16(x)[1]);
    expect(Array.from(pcm16ToFloat(bytes)).map((v) => Math.round(v * 1000) / 1000)).toEqual([
      0, 0.5, -0.5, 1, -1,
    ]);
  });
});

describe('Framer', () => {
  it('cuts arbitrary chunks into whole frames and keeps the remainder', () => {
    const f = new Framer(4);
    expect(f.push(Float32Array.from([1, 2, 3]))).toEqual([]);
    const frames = f.push(Float32Array.from([4, 5, 6, 7, 8, 9]));
    expect(frames.map((x) => Array.from(x))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(f.buffered).toBe(1);
    expect(Array.from(f.flush()!)).toEqual([9, 0, 0, 0]);
    expect(f.flush()).toBeNull();
  });
});

describe('resampler', () => {
  it('streams 48 kHz to 16 kHz in uneven chunks, keeping pitch, level and length', async () => {
    const r = await createResampler(48000, 16000);
    const input = tone(440, 48000, 1000);
    const parts: Float32Array[] = [];
    for (let i = 0; i < input.length; i += 777) parts.push(r.process(input.subarray(i, i + 777)));
    r.destroy();
    const out = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    expect(Math.abs(out.length - 16000)).toBeLessThan(200);
    const steady = out.subarray(2000, 14000);
    expect(zeroCrossingHz(steady, 16000)).toBeCloseTo(440, -1);
    expect(rms(steady)).toBeCloseTo(0.5 / Math.SQRT2, 1);
  });

  it('removes content above the new Nyquist frequency (anti-aliasing)', async () => {
    const out = await resampleAll(tone(11000, 48000, 500), 48000, 16000);
    expect(rms(out.subarray(500, out.length - 500))).toBeLessThan(0.01);
  });
});

describe('input decoder', () => {
  it('accepts the documented formats and names the reason for others', () => {
    expect(checkInputFormat({ encoding: 'pcm16', sample_rate: 24000 })).toBeNull();
    expect(checkInputFormat({ encoding: 'pcm16', sample_rate: 44100 })).toBe('unsupported_sample_rate');
    expect(checkInputFormat({ encoding: 'mulaw', sample_rate: 16000 })).toBe('unsupported_sample_rate');
    expect(checkInputFormat({ encoding: 'flac' as 'pcm16', sample_rate: 16000 })).toBe(
      'unsupported_encoding',
    );
  });

  for (const rate of [8000, 16000, 24000, 48000]) {
    it(`decodes pcm16 at ${rate} Hz to 16 kHz`, async () => {
      const d = await createInputDecoder({ encoding: 'pcm16', sample_rate: rate });
      const chunks: Float32Array[] = [];
      const x = tone(300, rate, 1000);
      for (let i = 0; i < x.length; i += rate / 50)
        chunks.push(d.decode(floatToPcm16(x.subarray(i, i + rate / 50))));
      const out = Float32Array.from(chunks.flatMap((c) => Array.from(c)));
      expect(Math.abs(out.length - 16000)).toBeLessThan(200);
      expect(zeroCrossingHz(out.subarray(1000, 15000), 16000)).toBeCloseTo(300, -1);
      d.destroy();
    });
  }

  it('decodes mu-law 8 kHz', async () => {
    const d = await createInputDecoder({ encoding: 'mulaw', sample_rate: 8000 });
    const out = d.decode(alawmulaw.mulaw.encode(floatToInt16(tone(300, 8000, 1000))));
    expect(zeroCrossingHz(out.subarray(1000, 15000), 16000)).toBeCloseTo(300, -1);
    expect(rms(out.subarray(1000, 15000))).toBeCloseTo(0.5 / Math.SQRT2, 1);
  });

  it('decodes Opus packets from a real encoder, and rejects corrupt or empty ones without breaking', async () => {
    const enc = new OpusScript(48000, 1, OpusScript.Application.VOIP);
    const x = tone(300, 48000, 400);
    const packets: Uint8Array[] = [];
    for (let i = 0; i < x.length; i += 960) {
      const pcm = floatToInt16(x.subarray(i, i + 960));
      packets.push(new Uint8Array(enc.encode(Buffer.from(pcm.buffer), 960)));
    }
    enc.delete();
    const d = await createInputDecoder({ encoding: 'opus', sample_rate: 48000 });
    const out: number[] = [];
    for (const p of packets.slice(0, 10)) out.push(...d.decode(p));
    expect(out.length).toBe(10 * 320);
    expect(() => d.decode(new Uint8Array(0))).toThrow(BanterError);
    // A TOC byte declaring two equal frames over an odd payload, and a code-3 packet cut before its frame count.
    expect(() => d.decode(Uint8Array.from([0b00000001, 1, 2, 3]))).toThrow(/cannot be decoded/);
    expect(() => d.decode(Uint8Array.from([0b00000011]))).toThrow(
      expect.objectContaining({ code: 'bad_audio' }),
    );
    // opus-decoder would print each corrupt packet to stderr itself: a garbage stream must not.
    const printed: unknown[] = [];
    const saved = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    try {
      for (let i = 0; i < 5; i++)
        expect(() => d.decode(Uint8Array.from([0b00000001, 1, 2, 3]))).toThrow(BanterError);
    } finally {
      console.error = saved;
    }
    expect(printed).toEqual([]);
    for (const p of packets.slice(10)) out.push(...d.decode(p));
    expect(zeroCrossingHz(Float32Array.from(out).subarray(1600), 16000)).toBeCloseTo(300, -1);
    d.destroy();
  });

  it('rejects odd-length pcm16 and frames over the per-frame limit with coded errors', async () => {
    const d = await createInputDecoder({ encoding: 'pcm16', sample_rate: 16000 }, { maxFrameMs: 100 });
    expect(() => d.decode(new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'bad_audio' }));
    expect(() => d.decode(new Uint8Array(3202))).toThrow(
      expect.objectContaining({ code: 'frame_too_large' }),
    );
    expect(d.decode(new Uint8Array(3200)).length).toBe(1600);
  });
});

describe('output encoder', () => {
  const audio = tone(300, 16000, 1000);

  it('writes 20 ms pcm16 frames at the requested rate', async () => {
    const e = await createOutputEncoder({ encoding: 'pcm16', sample_rate: 24000 }, 16000);
    const frames = [...e.encode(audio), ...e.flush()];
    expect(frames.every((f) => f.length === 960)).toBe(true);
    const back = Float32Array.from(frames.flatMap((f) => Array.from(pcm16ToFloat(f))));
    expect(zeroCrossingHz(back.subarray(2400, 21600), 24000)).toBeCloseTo(300, -1);
  });

  it('writes mu-law 8 kHz frames of 160 bytes', async () => {
    const e = await createOutputEncoder({ encoding: 'mulaw' }, 16000);
    const frames = [...e.encode(audio), ...e.flush()];
    expect(frames[0].length).toBe(160);
    const back = Float32Array.from(
      frames.flatMap((f) => Array.from(alawmulaw.mulaw.decode(f))).map((v) => v / 32768),
    );
    expect(zeroCrossingHz(back.subarray(800, 7200), 8000)).toBeCloseTo(300, -1);
  });

  it('writes Opus packets that a decoder plays back as the same tone', async () => {
    const e = await createOutputEncoder({ encoding: 'opus' }, 16000);
    expect(e.sampleRate).toBe(48000);
    const packets = [...e.encode(audio), ...e.flush()];
    expect(packets.length).toBe(50);
    const d = await createInputDecoder({ encoding: 'opus', sample_rate: 48000 });
    const back = Float32Array.from(packets.flatMap((p) => Array.from(d.decode(p))));
    expect(zeroCrossingHz(back.subarray(3200, 14000), 16000)).toBeCloseTo(300, -1);
    e.destroy();
  });

  it('refuses unsupported output rates with a coded error', async () => {
    await expect(createOutputEncoder({ encoding: 'mulaw', sample_rate: 16000 }, 16000)).rejects.toMatchObject(
      {
        code: 'unsupported_sample_rate',
      },
    );
  });
});
