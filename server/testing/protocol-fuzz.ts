/**
 * A seeded protocol fuzzer: adversarial frames for protocol v1, and a runner that throws them at
 * a real server over many real WebSocket connections and checks what comes back.
 *
 * The frames come from fast-check arbitraries, so a seed reproduces a run exactly. They cover
 * every client message type with each field swapped for hostile values, missing and extra
 * fields, arbitrary JSON, deep nesting, text that is not JSON (and not UTF-8), sizes around and
 * over every limit, binary frames of every awkward length, and every ordering: before the
 * handshake, between handshakes, after session.end.
 *
 * What must hold: every text frame the server sends matches the v1 schema (so every error is
 * coded), no connection is closed with 1011 (a handler threw) or by an undocumented code, and no
 * connection hangs.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { CLOSE_CODES } from '../protocol/errors.ts';
import { floatToPcm16 } from '../audio/pcm.ts';
import { CLIENT_MESSAGE_TYPES, ServerMessage } from '../protocol/messages.ts';
import { StreamClient, chunkPcm16 } from './stream-client.ts';

export type FuzzFrame =
  | { kind: 'text'; data: string }
  /** Bytes sent as a text frame: may be invalid UTF-8. */
  | { kind: 'raw-text'; data: Uint8Array }
  | { kind: 'binary'; data: Uint8Array };

/** Sizes just under, at and over the server's limits (defaults of config.ts and server/limits). */
export interface FuzzSizes {
  maxControlBytes: number;
  maxPayloadBytes: number;
}

const hostile = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1,
      1.5,
      -0,
      1e308,
      -1e308,
      2 ** 53,
      '',
      ' ',
      '\u0000',
      '__proto__',
    ),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('pcm16', 'opus', 'mulaw', 'PCM16', 'realtime', 'audio', 8000, 16000, 48000, 44100, 7),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom({}, [], [[]], { type: 'marker' }, { __proto__: { polluted: 1 } }),
  );

const validStart = fc.record(
  {
    type: fc.constant('session.start'),
    protocol: fc.constant(1),
    input: fc.oneof(
      fc.constant({ encoding: 'pcm16', sample_rate: 16000 }),
      fc.record({ encoding: fc.constant('pcm16'), sample_rate: fc.constantFrom(8000, 16000, 24000, 48000) }),
      fc.constant({ encoding: 'mulaw', sample_rate: 8000 }),
      fc.constant({ encoding: 'opus', sample_rate: 48000 }),
    ),
    output: fc.constantFrom({ encoding: 'pcm16' }, { encoding: 'mulaw' }, { encoding: 'opus' }),
    greeting: fc.boolean(),
    clock: fc.constantFrom('realtime', 'audio'),
  },
  { requiredKeys: ['type', 'protocol', 'input'] },
);

const validOther = fc.oneof(
  fc.record({ type: fc.constant('marker'), id: fc.string({ minLength: 1, maxLength: 128 }) }),
  fc.record({ type: fc.constant('playback'), position_ms: fc.nat() }),
  fc.constant({ type: 'session.end' }),
);

/** A valid message with one field replaced, removed, or joined by a stranger. */
const mutated = fc
  .tuple(
    fc.oneof(validStart, validOther),
    fc.nat(),
    hostile(),
    fc.constantFrom('replace', 'remove', 'extra', 'type'),
  )
  .map(([msg, pick, value, how]) => {
    const out: Record<string, unknown> = { ...(msg as Record<string, unknown>) };
    const keys = Object.keys(out);
    const key = keys[pick % keys.length];
    if (how === 'replace') out[key] = value;
    else if (how === 'remove') delete out[key];
    else if (how === 'extra') out[`x${pick % 7}`] = value;
    else out.type = pick % 2 ? value : CLIENT_MESSAGE_TYPES[pick % CLIENT_MESSAGE_TYPES.length].toUpperCase();
    return out;
  });

/** Nested arrays or objects, `depth` deep, as the value of `type` or of a field. */
const deep = fc
  .tuple(fc.integer({ min: 10, max: 6000 }), fc.boolean(), fc.constantFrom('type', 'input', 'id'))
  .map(([depth, arrays, field]) => {
    const open = arrays ? '[' : '{"a":';
    const close = arrays ? ']' : '}';
    const head =
      field === 'type' ? '' : `"type":"${field === 'id' ? 'marker' : 'session.start'}","protocol":1,`;
    return `{${head}"${field}":${open.repeat(depth)}${arrays ? '' : '1'}${close.repeat(depth)}}`;
  });

function textFrames(sizes: FuzzSizes): fc.Arbitrary<FuzzFrame> {
  const text = (a: fc.Arbitrary<string>) => a.map((data): FuzzFrame => ({ kind: 'text', data }));
  return fc.oneof(
    { weight: 6, arbitrary: text(mutated.map((m) => JSON.stringify(m))) },
    { weight: 2, arbitrary: text(fc.oneof(validStart, validOther).map((m) => JSON.stringify(m))) },
    { weight: 2, arbitrary: text(fc.json({ maxDepth: 4 })) },
    { weight: 2, arbitrary: text(fc.string({ unit: 'grapheme', maxLength: 200 })) },
    { weight: 1, arbitrary: text(deep) },
    {
      weight: 1,
      // Around the control limit: just under (parsed), just over (refused unread), far over.
      arbitrary: fc
        .tuple(fc.constantFrom(-8, 0, 1, 64, sizes.maxControlBytes * 3), fc.boolean())
        .map(([delta, valid]): FuzzFrame => {
          const pad = Math.max(0, sizes.maxControlBytes + delta - 30);
          return {
            kind: 'text',
            data: valid ? JSON.stringify({ type: 'marker', id: 'm'.repeat(pad) }) : 'x'.repeat(pad + 30),
          };
        }),
    },
  );
}

/** Frames after which the server closes the connection itself (so at most one, last, per script). */
function closingFrames(sizes: FuzzSizes): fc.Arbitrary<FuzzFrame> {
  return fc.oneof(
    // Over the hard cap: ws closes with 1009 before reading it.
    fc.constant<FuzzFrame>({ kind: 'binary', data: new Uint8Array(sizes.maxPayloadBytes + 1) }),
    fc.constant<FuzzFrame>({ kind: 'text', data: 'x'.repeat(sizes.maxPayloadBytes + 1) }),
    // Not UTF-8: ws closes with 1007.
    fc
      .uint8Array({ minLength: 1, maxLength: 64 })
      .map((data): FuzzFrame => ({ kind: 'raw-text', data: Uint8Array.of(0xff, 0xfe, ...data) })),
  );
}

function binaryFrames(): fc.Arbitrary<FuzzFrame> {
  const bin = (a: fc.Arbitrary<Uint8Array>) => a.map((data): FuzzFrame => ({ kind: 'binary', data }));
  return fc.oneof(
    { weight: 4, arbitrary: bin(fc.uint8Array({ maxLength: 2000 })) },
    // Frames of the lengths decoders trip on: empty, odd, one sample, 20 ms, just over 1 s.
    {
      weight: 3,
      arbitrary: bin(
        fc.constantFrom(0, 1, 3, 2, 639, 640, 641, 32_002, 96_002).map((n) => new Uint8Array(n)),
      ),
    },
  );
}

/** The frames of one fuzz connection: a handshake somewhere (or none, or two), everything else hostile. */
export function connectionScript(sizes: FuzzSizes, length: number): fc.Arbitrary<FuzzFrame[]> {
  const frame = fc.oneof(
    { weight: 3, arbitrary: textFrames(sizes) },
    { weight: 2, arbitrary: binaryFrames() },
  );
  return fc
    .tuple(
      fc.array(frame, { minLength: length, maxLength: length }),
      fc.array(fc.tuple(fc.nat({ max: length }), validStart), { maxLength: 2 }),
      // One connection in eight ends on a frame the server closes for.
      fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: closingFrames(sizes) }),
    )
    .map(([frames, starts, last]) => {
      const out = [...frames];
      for (const [at, start] of starts) out.splice(at, 0, { kind: 'text', data: JSON.stringify(start) });
      if (last) out.push(last);
      return out;
    });
}

/** Deterministic scripts for `connections` connections from one seed. */
export function fuzzScripts(
  seed: number,
  connections: number,
  length: number,
  sizes: FuzzSizes,
): FuzzFrame[][] {
  return fc.sample(connectionScript(sizes, length), { seed, numRuns: connections });
}

/** Close codes a fuzzed connection may legitimately end with (docs/protocol.md). */
export const EXPECTED_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.normal,
  CLOSE_CODES.goingAway,
  1007, // ws: a text frame that is not UTF-8
  CLOSE_CODES.policyViolation,
  CLOSE_CODES.messageTooBig,
  CLOSE_CODES.unsupportedProtocol,
  CLOSE_CODES.slowConsumer,
]);

export interface FuzzReport {
  connections: number;
  /** Frames handed to an open socket. */
  sent: number;
  /** Text frames received from the server. */
  received: number;
  errorsByCode: Record<string, number>;
  closeCodes: Record<string, number>;
  /** Everything that broke an invariant; empty on a clean run. */
  violations: string[];
}

export interface FuzzOptions {
  url: string;
  seed: number;
  connections: number;
  /** Frames per connection. */
  length: number;
  /** Connections open at once. */
  concurrency: number;
  sizes: FuzzSizes;
  /** A connection that has not closed this long after its last frame hangs, ms. */
  hangMs?: number;
}

/** Runs the fuzz scripts against a server; resolves with what happened (never rejects on server misbehaviour). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const scripts = fuzzScripts(options.seed, options.connections, options.length, options.sizes);
  const report: FuzzReport = {
    connections: 0,
    sent: 0,
    received: 0,
    errorsByCode: {},
    closeCodes: {},
    violations: [],
  };
  let next = 0;
  const worker = async () => {
    while (next < scripts.length) {
      const index = next++;
      await fuzzConnection(options, index, scripts[index], report);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return report;
}

async function fuzzConnection(
  options: FuzzOptions,
  index: number,
  script: FuzzFrame[],
  report: FuzzReport,
): Promise<void> {
  const ws = new WebSocket(options.url);
  report.connections++;
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {}); // the close code says what happened
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    report.received++;
    let parsed: ReturnType<typeof ServerMessage.safeParse>;
    try {
      parsed = ServerMessage.safeParse(JSON.parse(data.toString()));
    } catch {
      report.violations.push(`connection ${index}: server sent a text frame that is not JSON`);
      return;
    }
    if (!parsed.success) {
      report.violations.push(
        `connection ${index}: server message off schema: ${data.toString().slice(0, 200)}`,
      );
    } else if (parsed.data.type === 'error') {
      report.errorsByCode[parsed.data.code] = (report.errorsByCode[parsed.data.code] ?? 0) + 1;
      if (parsed.data.code === 'internal') report.violations.push(`connection ${index}: internal error`);
    }
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (!opened) {
    report.violations.push(`connection ${index}: could not connect`);
    return;
  }
  for (const [i, frame] of script.entries()) {
    if (ws.readyState !== WebSocket.OPEN) break;
    if (frame.kind === 'text') ws.send(frame.data);
    else ws.send(frame.data, { binary: frame.kind === 'binary' });
    report.sent++;
    // Let the server answer now and then, so frames also land mid-processing rather than all at once.
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'session.end' }));
  const hangMs = options.hangMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    closed,
    new Promise<null>((r) => (timer = setTimeout(() => r(null), hangMs))),
  ]);
  clearTimeout(timer);
  if (code === null) {
    report.violations.push(`connection ${index}: no close within ${hangMs} ms of its last frame`);
    ws.terminate();
    return;
  }
  report.closeCodes[code] = (report.closeCodes[code] ?? 0) + 1;
  if (!EXPECTED_CLOSE_CODES.has(code)) report.violations.push(`connection ${index}: closed with ${code}`);
}

/**
 * A healthy caller to run beside the fuzzer: real speech as fast as the server takes it (audio
 * clock), a marker every 25 frames. Returns every event after session.ready, in order, so a run
 * beside the fuzzer can be compared with a run alone.
 */
export async function referenceSession(url: string, samples: Float32Array, sampleRate: number) {
  const client = await StreamClient.start(url, {
    greeting: false,
    clock: 'audio',
    input: { encoding: 'pcm16', sample_rate: sampleRate },
  });
  const frames = chunkPcm16(floatToPcm16(samples), sampleRate, 20);
  for (const [i, frame] of frames.entries()) {
    client.sendBinary(frame, 20);
    if (i % 25 === 24) client.sendJson({ type: 'marker', id: `m${i}` });
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await client.flush('last');
  await client.close();
  const seen = client.events
    .map((e) => e.message)
    .filter((m) => m.type !== 'session.ready')
    .map((m) => JSON.stringify(m));
  return { seen, errors: client.messages('error'), speechStarts: client.messages('vad.speech_start').length };
}
