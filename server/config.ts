/**
 * Server configuration: defaults as data, overridden by environment
 * variables and command-line flags, validated once at the boundary.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defaultVadOptions } from './turn-taking/vad-processor.ts';
import { defaultWriterOptions } from './transport/outbound-writer.ts';
import { defaultInputLimits } from './transport/input-decoder.ts';

const repoPath = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export const ServerConfig = z.strictObject({
  /** TCP port; 0 picks a free one. Default 8080. */
  port: z.number().int().min(0).max(65535),
  /** Interface to bind. Default 127.0.0.1 (set 0.0.0.0 to accept remote callers, as the container does). */
  host: z.string(),
  /** WebSocket path. */
  wsPath: z.string().startsWith('/'),
  /** Bundled Silero version: v5 scored best on the fixtures (docs/PERFORMANCE.md). */
  vadVersion: z.enum(['v4', 'v5', 'v6']),
  /** A user's own Silero ONNX export; overrides vadVersion. */
  vadModelPath: z.string().optional(),
  /** End-of-turn model folder (manifest.json + ONNX + tokenizer); banter's own models/eot by default. */
  eotModelPath: z.string(),
  vad: z.strictObject({
    positiveThreshold: z.number().min(0).max(1),
    negativeThreshold: z.number().min(0).max(1),
    minSpeechMs: z.number().nonnegative(),
    redemptionMs: z.number().nonnegative(),
    preSpeechPadMs: z.number().nonnegative(),
  }),
  /** Greeting played on session.ready (16-bit WAV, any rate). */
  greetingPath: z.string(),
  /** Hard cap on one WebSocket message, bytes: ws closes with 1009 above it. Default 1 MiB. */
  maxPayloadBytes: z.number().int().positive(),
  /** Longest audio one binary frame may carry, ms. */
  maxFrameMs: z.number().positive(),
  /** Caller audio waiting to be processed before the socket stops reading, ms. Default 10000. */
  maxInputBacklogMs: z.number().positive(),
  writer: z.strictObject({
    leadMs: z.number().nonnegative(),
    highWaterBytes: z.number().int().positive(),
    stallTimeoutMs: z.number().positive(),
  }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export const defaultConfig: ServerConfig = {
  port: 8080,
  host: '127.0.0.1',
  wsPath: '/v1/stream',
  vadVersion: 'v5',
  eotModelPath: repoPath('models/eot'),
  vad: {
    positiveThreshold: defaultVadOptions.positiveThreshold,
    negativeThreshold: defaultVadOptions.negativeThreshold,
    minSpeechMs: defaultVadOptions.minSpeechMs,
    redemptionMs: defaultVadOptions.redemptionMs,
    preSpeechPadMs: defaultVadOptions.preSpeechPadMs,
  },
  greetingPath: repoPath('fixtures/audio/greeting.wav'),
  maxPayloadBytes: 1024 * 1024,
  maxFrameMs: defaultInputLimits.maxFrameMs,
  maxInputBacklogMs: 10_000,
  writer: {
    leadMs: defaultWriterOptions.leadMs,
    highWaterBytes: defaultWriterOptions.highWaterBytes,
    stallTimeoutMs: defaultWriterOptions.stallTimeoutMs,
  },
  logLevel: 'info',
};

export type ConfigOverrides = Partial<Omit<ServerConfig, 'vad' | 'writer'>> & {
  vad?: Partial<ServerConfig['vad']>;
  writer?: Partial<ServerConfig['writer']>;
};

export function resolveConfig(overrides: ConfigOverrides = {}): ServerConfig {
  return ServerConfig.parse({
    ...defaultConfig,
    ...overrides,
    vad: { ...defaultConfig.vad, ...overrides.vad },
    writer: { ...defaultConfig.writer, ...overrides.writer },
  });
}

/** Reads BANTER_* environment variables and --flags (flags win). */
export function configFromEnvironment(argv: string[], env: NodeJS.ProcessEnv): ConfigOverrides {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'vad-version': { type: 'string' },
      'vad-model': { type: 'string' },
      'eot-model': { type: 'string' },
      greeting: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const pick = (flag: string | undefined, name: string) => flag ?? env[name];
  const out: Record<string, unknown> = {};
  const port = pick(values.port, 'BANTER_PORT') ?? env.PORT;
  if (port !== undefined) out.port = Number(port);
  const host = pick(values.host, 'BANTER_HOST');
  if (host) out.host = host;
  const vadVersion = pick(values['vad-version'], 'BANTER_VAD_VERSION');
  if (vadVersion) out.vadVersion = vadVersion;
  const vadModel = pick(values['vad-model'], 'BANTER_VAD_MODEL');
  if (vadModel) out.vadModelPath = vadModel;
  const eotModel = pick(values['eot-model'], 'BANTER_EOT_MODEL');
  if (eotModel) out.eotModelPath = eotModel;
  const greeting = pick(values.greeting, 'BANTER_GREETING');
  if (greeting) out.greetingPath = greeting;
  const logLevel = pick(values['log-level'], 'BANTER_LOG_LEVEL');
  if (logLevel) out.logLevel = logLevel;
  return out as ConfigOverrides;
}
