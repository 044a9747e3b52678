/**
 * The feed in front of the recognizer, with a recording fake stream (the real recognizer is
 * tested in server/asr/ and end to end in server/asr-ws.test.ts): only speech the VAD accepted,
 * with its pre-roll, in order, one endpoint per utterance.
 */
import { describe, expect, it } from 'vitest';
import type { RecognizerStream } from '../asr/recognizer.ts';
import type { VadEvent } from '../turn-taking/vad-processor.ts';
import { AsrFeed } from './asr-feed.ts';

const FRAME = 512; // 32 ms at 16 kHz

function recording() {
  const calls: string[] = [];
  const stream: RecognizerStream = {
    push: async (samples, atMs) => {
      await Promise.resolve();
      calls.push(`push ${atMs} ${samples.length} ${samples[0]}`);
    },
    endpoint: async () => {
      calls.push('endpoint');
    },
    reset: () => calls.push('reset'),
    close: () => calls.push('close'),
  };
  return { calls, stream };
}

/** Frame k starts at 32k ms and its samples all equal k (so a push shows which frame it was). */
const frame = (k: number) => new Float32Array(FRAME).fill(k);

describe('AsrFeed', () => {
  it('sends nothing while nobody speaks, then the pre-roll, the speech and one endpoint', async () => {
    const { calls, stream } = recording();
    const feed = new AsrFeed(stream, { preRollMs: 64 });
    const events = new Map<number, VadEvent[]>([
      [10, [{ type: 'speech_start', startMs: 9 * 32, confirmedMs: 11 * 32 }]],
      [14, [{ type: 'speech_end', startMs: 9 * 32, endMs: 12 * 32, confirmedMs: 15 * 32 }]],
    ]);
    for (let k = 0; k < 20; k++) feed.frame(frame(k), k * 32, events.get(k) ?? []);
    await feed.idle();
    // Onset at frame 9 (288 ms), 64 ms pre-roll: frames 7 and 8 are held back and sent first.
    expect(calls).toEqual([
      'push 224 512 7',
      'push 256 512 8',
      'push 288 512 9',
      'push 320 512 10',
      'push 352 512 11',
      'push 384 512 12',
      'push 416 512 13',
      'push 448 512 14',
      'endpoint',
    ]);
  });

  it('a stream that ends mid-utterance is finalized by the flush; a flush with nothing open does nothing', async () => {
    const { calls, stream } = recording();
    const feed = new AsrFeed(stream, { preRollMs: 0 });
    feed.flush([]);
    feed.frame(frame(0), 0, [{ type: 'speech_start', startMs: 0, confirmedMs: 64 }]);
    feed.frame(frame(1), 32, []);
    feed.flush([{ type: 'speech_end', startMs: 0, endMs: 64, confirmedMs: 64 }]);
    feed.flush([{ type: 'speech_end', startMs: 0, endMs: 64, confirmedMs: 64 }]);
    feed.close();
    await feed.idle();
    expect(calls).toEqual(['push 0 512 0', 'push 32 512 1', 'endpoint', 'close']);
  });

  it('a failing recognizer surfaces from idle() and stops further calls', async () => {
    const { calls, stream } = recording();
    stream.push = async () => {
      throw new Error('model gone');
    };
    const feed = new AsrFeed(stream, { preRollMs: 0 });
    feed.frame(frame(0), 0, [{ type: 'speech_start', startMs: 0, confirmedMs: 32 }]);
    feed.frame(frame(1), 32, [{ type: 'speech_end', startMs: 0, endMs: 32, confirmedMs: 64 }]);
    await expect(feed.idle()).rejects.toThrow('model gone');
    expect(calls).toEqual([]);
  });
});
