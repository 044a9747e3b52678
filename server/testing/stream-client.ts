/**
 * A protocol v1 client for tests and benchmarks: connects over a real
 * WebSocket, streams audio (real time or as fast as possible), and records
 * every server event with the wall time it arrived and the caller-audio
 * position sent by then.
 */
import WebSocket from 'ws';
import { ServerMessage, type ServerMessageOf, type SessionStart } from '../protocol/messages.ts';

export interface ReceivedEvent {
  message: ServerMessage;
  /** performance.now() at arrival. */
  wallMs: number;
  /** ms of caller audio sent when it arrived. */
  sentAudioMs: number;
}

export class StreamClient {
  readonly events: ReceivedEvent[] = [];
  readonly audioFrames: { data: Uint8Array; wallMs: number }[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private sentAudioMs = 0;
  private waiters: { test: (e: ReceivedEvent) => boolean; resolve: (e: ReceivedEvent) => void }[] = [];
  private closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const wallMs = performance.now();
      if (isBinary) {
        this.audioFrames.push({ data: new Uint8Array(data as Buffer), wallMs });
        return;
      }
      const message = ServerMessage.parse(JSON.parse(data.toString()));
      const event = { message, wallMs, sentAudioMs: this.sentAudioMs };
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(event)) return true;
        w.resolve(event);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve();
      }),
    );
  }

  static async connect(url: string): Promise<StreamClient> {
    const ws = new WebSocket(url);
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Connects and completes the handshake. */
  static async start(url: string, start: Partial<SessionStart> = {}): Promise<StreamClient> {
    const client = await StreamClient.connect(url);
    client.sendJson({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: 16000 },
      ...start,
    });
    await client.waitFor('session.ready');
    return client;
  }

  sendJson(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  sendBinary(data: Uint8Array, audioMs = 0): void {
    this.ws.send(data);
    this.sentAudioMs += audioMs;
  }

  /** Sends frames; paced in real time when `realTime`, each frame `frameMs` long. */
  async stream(frames: Uint8Array[], frameMs: number, realTime: boolean): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; i < frames.length; i++) {
      if (realTime) {
        const due = t0 + i * frameMs;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
      }
      this.sendBinary(frames[i], frameMs);
    }
  }

  /** Sends a marker and waits for its echo: everything sent before has been processed. */
  async flush(
    id = `m${Math.random().toString(36).slice(2)}`,
  ): Promise<ReceivedEvent & { message: ServerMessageOf<'marker'> }> {
    this.sendJson({ type: 'marker', id });
    return this.waitFor('marker', (m) => m.id === id);
  }

  waitFor<T extends ServerMessage['type']>(
    type: T,
    where: (m: ServerMessageOf<T>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<ReceivedEvent & { message: ServerMessageOf<T> }> {
    const test = (e: ReceivedEvent) => e.message.type === type && where(e.message as ServerMessageOf<T>);
    const found = this.events.find(test);
    if (found) return Promise.resolve(found as ReceivedEvent & { message: ServerMessageOf<T> });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as ReceivedEvent & { message: ServerMessageOf<T> });
        },
      });
    });
  }

  messages<T extends ServerMessage['type']>(type: T): ServerMessageOf<T>[] {
    return this.events.filter((e) => e.message.type === type).map((e) => e.message as ServerMessageOf<T>);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    await this.closed;
  }

  whenClosed(): Promise<void> {
    return this.closed;
  }
}

/** Splits PCM16 bytes into frames of `frameMs` at `sampleRate`. */
export function chunkPcm16(bytes: Uint8Array, sampleRate: number, frameMs: number): Uint8Array[] {
  const size = ((sampleRate * frameMs) / 1000) * 2;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
