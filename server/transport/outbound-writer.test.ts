import { describe, expect, it } from 'vitest';
import { OutboundWriter, type WriterClock } from './outbound-writer.ts';

/** A socket and clock under the test's control: the writer's pacing and backpressure are pure logic around them. */
function harness(options = {}) {
  let now = 0;
  const timers = new Map<number, () => void>();
  let nextId = 1;
  const clock: WriterClock = {
    now: () => now,
    setInterval: (fn) => {
      timers.set(nextId, fn);
      return nextId++;
    },
    clearInterval: (h) => void timers.delete(h as number),
  };
  const socket = {
    bufferedAmount: 0,
    readyState: 1,
    sent: [] as (string | Uint8Array)[],
    send(d: string | Uint8Array) {
      this.sent.push(d);
    },
  };
  let stalled = 0;
  const writer = new OutboundWriter(
    socket,
    { frameMs: 20, leadMs: 100, tickMs: 10, highWaterBytes: 1000, stallTimeoutMs: 500, ...options },
    clock,
    () => stalled++,
  );
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      now += 10;
      for (const fn of [...timers.values()]) fn();
    }
  };
  const audio = () => socket.sent.filter((d) => d instanceof Uint8Array).length;
  return { writer, socket, advance, audio, stalled: () => stalled, timers };
}

const frames = (n: number) => Array.from({ length: n }, (_, i) => Uint8Array.of(i));

describe('OutboundWriter', () => {
  it('a client holding more than maxBufferedBytes unsent is closed as a slow consumer when a control message is due', () => {
    const h = harness({ maxBufferedBytes: 5000 });
    h.writer.sendControl('{"type":"error"}');
    expect(h.socket.sent).toHaveLength(1);
    h.socket.bufferedAmount = 6000; // it never reads, and its error replies pile up
    h.writer.sendControl('{"type":"error"}');
    h.writer.sendControl('{"type":"error"}');
    expect(h.socket.sent).toHaveLength(1);
    expect(h.stalled()).toBe(1);
  });

  it('sends audio no more than leadMs ahead of real time', () => {
    const h = harness();
    let done = 0;
    h.writer.enqueueAudio(frames(50), 'u1', () => done++);
    // At t=0 frames whose play time is < 100 ms ahead go out: positions 0..100 ms -> 6 frames.
    expect(h.audio()).toBe(6);
    h.advance(200);
    expect(h.audio()).toBe(16);
    expect(done).toBe(0);
    h.advance(1000);
    expect(h.audio()).toBe(50);
    expect(done).toBe(1);
    expect(h.timers.size).toBe(0);
  });

  it('sends control messages at once, ahead of queued audio', () => {
    const h = harness();
    h.writer.enqueueAudio(frames(50), 'u1');
    h.writer.sendControl({ type: 'marker', id: 'x', t_ms: 0 });
    expect(h.socket.sent.at(-1)).toBe('{"type":"marker","id":"x","t_ms":0}');
  });

  it('clear drops everything queued and reports how much', () => {
    const h = harness();
    let done = 0;
    h.writer.enqueueAudio(frames(50), 'u1', () => done++);
    h.advance(100);
    const sent = h.audio();
    expect(h.writer.clear()).toBe((50 - sent) * 20);
    h.advance(2000);
    expect(h.audio()).toBe(sent);
    expect(done).toBe(0);
    expect(h.writer.isPlaying).toBe(false);
  });

  it("estimates playback from real time, and trusts the caller's report", () => {
    const h = harness();
    h.writer.enqueueAudio(frames(50), 'u1');
    h.advance(300);
    expect(h.writer.estimatedPlayedMs()).toBe(300);
    h.writer.reportPlayback(250);
    h.advance(100);
    expect(h.writer.estimatedPlayedMs()).toBe(350);
    expect(h.writer.isPlaying).toBe(true);
  });

  it('holds audio while the socket is over its high-water mark, then resumes without loss', () => {
    const h = harness();
    h.writer.enqueueAudio(frames(50), 'u1');
    const before = h.audio();
    h.socket.bufferedAmount = 5000;
    h.advance(300);
    expect(h.audio()).toBe(before);
    h.socket.bufferedAmount = 0;
    h.advance(2000);
    expect(h.audio()).toBe(50);
    expect(h.stalled()).toBe(0);
  });

  it('reports a client that stops reading for stallTimeoutMs, once, and stops sending', () => {
    const h = harness();
    h.writer.enqueueAudio(frames(100), 'u1');
    h.socket.bufferedAmount = 5000;
    h.advance(600);
    expect(h.stalled()).toBe(1);
    h.socket.bufferedAmount = 0;
    h.advance(1000);
    expect(h.stalled()).toBe(1);
    h.writer.sendControl({ type: 'x' });
    expect(h.socket.sent.filter((d) => typeof d === 'string')).toEqual([]);
  });

  it("restarts pacing from now after the caller's buffer ran dry", () => {
    const h = harness();
    h.writer.enqueueAudio(frames(5), 'u1');
    h.advance(5000);
    h.writer.enqueueAudio(frames(50), 'u2');
    expect(h.audio()).toBe(5 + 6);
  });

  it('an empty enqueue ends its utterance after the frames queued before it, or at once when none wait', () => {
    const h = harness();
    const order: string[] = [];
    h.writer.enqueueAudio(frames(20), 'u1', () => order.push('first frames sent'));
    h.writer.enqueueAudio([], 'u1', () => order.push('utterance done'));
    expect(order).toEqual([]);
    h.advance(1000);
    expect(order).toEqual(['first frames sent', 'utterance done']);
    h.writer.enqueueAudio([], 'u2', () => order.push('empty done'));
    expect(order.at(-1)).toBe('empty done');
  });
});
