import { describe, expect, it } from 'vitest';
import { samplesForMs } from '../audio/rates.ts';
import { ReplyHandle, playPcm, type ReplySink } from './reply.ts';

/** A sink under the test's control: the output position the caller has played is set by hand. */
function fakeSink() {
  const state = {
    played: 0,
    written: 0,
    cuts: 0,
    queuedMs: 0,
    finish: null as null | (() => void),
    rooms: [] as { aheadMs: number; resolve: () => void }[],
  };
  const sink: ReplySink = {
    write: (pcm) => {
      state.written += pcm.length;
      state.queuedMs += (pcm.length * 1000) / 16000;
    },
    finish: (onSent) => (state.finish = onSent),
    cut: () => {
      state.cuts++;
      state.queuedMs = 0;
      for (const r of state.rooms.splice(0)) r.resolve();
    },
    playedMs: () => state.played,
    queuedEndMs: () => state.played + state.queuedMs,
    room: (aheadMs) =>
      state.queuedMs <= aheadMs
        ? Promise.resolve()
        : new Promise((resolve) => state.rooms.push({ aheadMs, resolve })),
  };
  /** The writer sent `ms` of audio: frees room. */
  const drain = (ms: number) => {
    state.queuedMs = Math.max(0, state.queuedMs - ms);
    state.rooms = state.rooms.filter((r) => {
      if (state.queuedMs > r.aheadMs) return true;
      r.resolve();
      return false;
    });
  };
  return { sink, state, drain };
}

const pcm = (ms: number) => new Float32Array(samplesForMs(ms)).fill(0.1);

describe('ReplyHandle', () => {
  it('heard position: what the caller played since the reply began, never more than was pushed', () => {
    const { sink, state } = fakeSink();
    const h = new ReplyHandle('r1', 'reply', 500, sink);
    h.push(pcm(1000));
    state.played = 400; // the caller is still playing audio from before this reply
    expect(h.heardMs).toBe(0);
    state.played = 1250;
    expect(h.heardMs).toBe(750);
    state.played = 5000;
    expect(h.heardMs).toBe(1000);
    // The writer's estimate is fractional; on the wire every time is whole ms.
    state.played = 1250.4;
    expect(h.heardMs).toBe(750);
  });

  it('interrupt: cuts the sink, aborts the signal, freezes what was heard, settles done once', async () => {
    const { sink, state } = fakeSink();
    const h = new ReplyHandle('r1', 'reply', 0, sink);
    h.push(pcm(2000));
    state.played = 640;
    let seenHeard = -1;
    const h2 = new ReplyHandle('r2', 'reply', 0, sink, true, {
      onInterrupted: (_h, heard) => (seenHeard = heard),
    });
    h2.push(pcm(100));
    expect(h.interrupt()).toBe(true);
    expect(state.cuts).toBe(1);
    expect(h.signal.aborted).toBe(true);
    expect(h.state).toBe('interrupted');
    state.played = 1800; // playback estimates move on; the cut reply's heard position does not
    expect(h.heardMs).toBe(640);
    expect(await h.done).toEqual({ reason: 'interrupted', heardMs: 640, pushedMs: 2000 });
    expect(h.interrupt()).toBe(false);
    expect(h.push(pcm(100))).toBe(false);
    expect(state.written).toBe(samplesForMs(2100));
    h2.interrupt();
    expect(seenHeard).toBe(100);
  });

  it('end: done once the last frame is sent, with all of it heard; no interrupt after that', async () => {
    const { sink, state } = fakeSink();
    let doneHook = 0;
    const h = new ReplyHandle('r1', 'greeting', 0, sink, true, { onDone: () => doneHook++ });
    h.push(pcm(300));
    h.end();
    expect(h.state).toBe('ending');
    expect(h.push(pcm(100))).toBe(false);
    state.finish!();
    expect(doneHook).toBe(1);
    expect(await h.done).toEqual({ reason: 'done', heardMs: 300, pushedMs: 300 });
    expect(h.interrupt()).toBe(false);
    expect(h.signal.aborted).toBe(false);
  });

  it('a reply cut while ending does not report done when its tail is sent later', async () => {
    const { sink, state } = fakeSink();
    let doneHook = 0;
    const h = new ReplyHandle('r1', 'reply', 0, sink, true, { onDone: () => doneHook++ });
    h.push(pcm(300));
    h.end();
    h.interrupt();
    state.finish!();
    expect(doneHook).toBe(0);
    expect((await h.done).reason).toBe('interrupted');
  });
});

describe('playPcm', () => {
  it('pushes in chunks, never more than aheadMs ahead of the sink, and ends the reply', async () => {
    const { sink, state, drain } = fakeSink();
    const h = new ReplyHandle('g', 'greeting', 0, sink);
    const feeding = playPcm(h, pcm(1000), { chunkSamples: samplesForMs(200), aheadMs: 300 });
    await new Promise((r) => setTimeout(r, 0));
    // 200 queued -> room -> 400 queued: over 300, so it waits.
    expect(state.written).toBe(samplesForMs(400));
    drain(200);
    await new Promise((r) => setTimeout(r, 0));
    expect(state.written).toBe(samplesForMs(600));
    drain(1000);
    await feeding;
    expect(state.written).toBe(samplesForMs(1000));
    expect(h.state).toBe('ending');
  });

  it('stops pushing the moment the reply is cut', async () => {
    const { sink, state } = fakeSink();
    const h = new ReplyHandle('g', 'greeting', 0, sink);
    const feeding = playPcm(h, pcm(1000), { chunkSamples: samplesForMs(200), aheadMs: 100 });
    await new Promise((r) => setTimeout(r, 0));
    const before = state.written;
    h.interrupt();
    await feeding;
    expect(state.written).toBe(before);
    expect(h.state).toBe('interrupted');
  });

  it('pause keeps the reply and its producer; resume plays from the given point again, and heard follows', async () => {
    const { sink, state } = fakeSink();
    const h = new ReplyHandle('r1', 'reply', 0, sink, true, {}, true);
    h.push(pcm(1000));
    state.played = 600;
    expect(h.pause()).toBe(true);
    expect(h.state).toBe('paused');
    expect(h.heardMs).toBe(600);
    expect(state.cuts).toBe(1);
    // The producer may go on pushing while paused: kept, not written; its ready() waits.
    const written = state.written;
    expect(h.accepting).toBe(true);
    h.push(pcm(500));
    expect(state.written).toBe(written);
    let woke = false;
    void h.ready(10_000).then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    h.end(); // the tail waits for the resume
    expect(state.finish).toBeNull();
    // Resume from the start of the word that was playing (500 ms): 1000 ms of audio go out again.
    state.played = 2000;
    state.queuedMs = 0;
    expect(h.resume(500)).toBe(true);
    expect(state.written - written).toBe(samplesForMs(1000));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(woke).toBe(true);
    expect(h.heardMs).toBe(500);
    state.played = 2300;
    expect(h.heardMs).toBe(800);
    expect(state.finish).not.toBeNull();
    state.finish!();
    expect((await h.done).reason).toBe('done');
  });

  it('a paused reply that is stopped settles as interrupted at the point it was paused, and wakes its producer', async () => {
    const { sink, state } = fakeSink();
    const h = new ReplyHandle('r1', 'reply', 0, sink, true, {}, true);
    h.push(pcm(1000));
    state.played = 300;
    h.pause();
    const waiting = h.ready(100);
    state.played = 900;
    expect(h.interrupt()).toBe(true);
    await waiting;
    expect(h.accepting).toBe(false);
    expect(await h.done).toMatchObject({ reason: 'interrupted', heardMs: 300 });
    expect(state.cuts).toBe(1);
    expect(h.resume()).toBe(false);
  });
});
