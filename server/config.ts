/**
 * Server configuration: defaults as data, overridden by environment
 * variables and command-line flags, validated once at the boundary.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_SILERO_VERSION, SILERO_VERSIONS } from './turn-taking/silero.ts';
import { TurnTakingOptions } from './turn-taking/policies.ts';
import { VadTuning } from './turn-taking/vad-processor.ts';
import { WriterTuning } from './transport/outbound-writer.ts';
import { InputLimits } from './transport/input-decoder.ts';
import { AsrBackendOptions } from './asr/recognizers.ts';
import { AsrFeedTuning } from './session/asr-feed.ts';
import { LlmOptions } from './duplex-llm/backends.ts';
import { TtsOptions } from './tts/synthesizers.ts';
import { ConnectionLimits } from './limits/limits.ts';
import { AuthOptions } from './limits/auth.ts';
import { SpeakerGateOptions } from './speaker/floor-gate.ts';

const repoPath = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/**
 * The whole configuration. Each component declares its own options schema (with defaults)
 * beside its code; this file only composes them, so a default lives in exactly one place.
 */
export const ServerConfig = z.strictObject({
  /** TCP port; 0 picks a free one. Default 8080. */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Interface to bind. Default 127.0.0.1 (set 0.0.0.0 to accept remote callers, as the container does). */
  host: z.string().default('127.0.0.1'),
  /** WebSocket path of protocol v1. */
  wsPath: z.string().startsWith('/').default('/v1/stream'),
  /** Bundled Silero version (docs/PERFORMANCE.md compares them). */
  vadVersion: z.enum(SILERO_VERSIONS).default(DEFAULT_SILERO_VERSION),
  /** A user's own Silero model (folder with manifest.json, or a bare ONNX export); overrides vadVersion. */
  vadModelPath: z.string().optional(),
  /** End-of-turn model folder (manifest.json + ONNX + tokenizer); banter's own models/eot by default. */
  eotModelPath: z.string().default(repoPath('models/eot')),
  vad: VadTuning.prefault({}),
  /** Speech recognition: which backend, which model folder, how it is fed (server/asr/recognizers.ts). */
  asr: AsrBackendOptions.extend({ feed: AsrFeedTuning.prefault({}) }).prefault({}),
  /** The language model: banter's TDM model, an OpenAI-compatible server, or none (server/duplex-llm/backends.ts). */
  llm: LlmOptions.prefault({}),
  /** The speech synthesizer: flite (default) or none (server/tts/synthesizers.ts). */
  tts: TtsOptions.prefault({}),
  turnTaking: TurnTakingOptions.prefault({}),
  /** Who may take the floor (server/speaker/floor-gate.ts): the speaker gate and its encoder's folder. */
  speaker: SpeakerGateOptions.extend({
    /** The speaker encoder's model folder (banter's own, or a WeSpeaker/3D-Speaker export with a manifest). */
    modelPath: z.string().default(repoPath('models/speaker')),
  }).prefault({}),
  /** Greeting played on session.ready (16-bit WAV, any rate). */
  greetingPath: z.string().default(repoPath('fixtures/audio/greeting.wav')),
  /** Hard cap on one WebSocket message, bytes: ws closes with 1009 above it. Default 1 MiB. */
  maxPayloadBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Longest audio one binary frame may carry, ms. Default 1000. */
  maxFrameMs: InputLimits.shape.maxFrameMs,
  /** Caller audio waiting to be processed before the socket stops reading, ms. Default 10000. */
  maxInputBacklogMs: z.number().positive().default(10_000),
  writer: WriterTuning.prefault({}),
  /**
   * How long a SIGTERM drain lets sessions go on (a reply in progress may finish) before closing
   * them with 1001, ms. Under the 10 s a container runtime allows before SIGKILL. Default 5000.
   */
  shutdownDeadlineMs: z.number().nonnegative().default(5000),
  /** Session tokens and allowed origins (server/limits/auth.ts): off on loopback, on elsewhere by default. */
  auth: AuthOptions.prefault({}),
  /**
   * With several worker processes: a port on which the primary serves /metrics summed over all
   * workers (each worker's own /metrics on the main port covers that worker only). Default: none.
   */
  metricsPort: z.number().int().min(0).max(65535).optional(),
  /** Behind a trusted reverse proxy: take the client address from X-Forwarded-For. Default false. */
  trustProxy: z.boolean().default(false),
  /** What one connection may cost: control-message size, error budget, bad-input logging (server/limits/). */
  limits: ConnectionLimits.prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export const defaultConfig: ServerConfig = ServerConfig.parse({});

type Nested = 'vad' | 'writer' | 'turnTaking' | 'speaker' | 'asr' | 'llm' | 'tts' | 'limits' | 'auth';
export type ConfigOverrides = Partial<Omit<ServerConfig, Nested>> & {
  [K in Nested]?: Partial<ServerConfig[K]>;
};

export function resolveConfig(overrides: ConfigOverrides = {}): ServerConfig {
  return ServerConfig.parse(overrides);
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
      'vad-hangover-ms': { type: 'string' },
      'eot-model': { type: 'string' },
      asr: { type: 'string' },
      'asr-model': { type: 'string' },
      llm: { type: 'string' },
      'llm-model': { type: 'string' },
      'llm-url': { type: 'string' },
      'llm-model-name': { type: 'string' },
      tts: { type: 'string' },
      'tts-voice': { type: 'string' },
      'tts-model': { type: 'string' },
      'codec-model': { type: 'string' },
      'false-interruption': { type: 'string' },
      'end-of-turn': { type: 'string' },
      'answer-by-ms': { type: 'string' },
      greeting: { type: 'string' },
      'log-level': { type: 'string' },
      'shutdown-deadline-ms': { type: 'string' },
      auth: { type: 'string' },
      'auth-public-key': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'max-sessions': { type: 'string' },
      'metrics-port': { type: 'string' },
      'max-connections-per-address': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      'speaker-gate': { type: 'string' },
      'speaker-model': { type: 'string' },
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
  const hangover = pick(values['vad-hangover-ms'], 'BANTER_VAD_HANGOVER_MS');
  if (hangover !== undefined) out.vad = { redemptionMs: Number(hangover) };
  const eotModel = pick(values['eot-model'], 'BANTER_EOT_MODEL');
  if (eotModel) out.eotModelPath = eotModel;
  const asr: Record<string, unknown> = {};
  const asrBackend = pick(values.asr, 'BANTER_ASR');
  if (asrBackend) asr.backend = asrBackend;
  const asrModel = pick(values['asr-model'], 'BANTER_ASR_MODEL');
  if (asrModel) asr.modelPath = asrModel;
  if (Object.keys(asr).length > 0) out.asr = asr;
  const llm: Record<string, unknown> = {};
  const llmBackend = pick(values.llm, 'BANTER_LLM');
  if (llmBackend) llm.backend = llmBackend;
  const llmModel = pick(values['llm-model'], 'BANTER_LLM_MODEL');
  if (llmModel) llm.modelPath = llmModel;
  const llmUrl = pick(values['llm-url'], 'BANTER_LLM_URL');
  if (llmUrl) llm.url = llmUrl;
  const llmName = pick(values['llm-model-name'], 'BANTER_LLM_MODEL_NAME');
  if (llmName) llm.model = llmName;
  if (env.BANTER_LLM_API_KEY) llm.apiKey = env.BANTER_LLM_API_KEY;
  if (Object.keys(llm).length > 0) out.llm = llm;
  const tts: Record<string, unknown> = {};
  const ttsBackend = pick(values.tts, 'BANTER_TTS');
  if (ttsBackend) tts.backend = ttsBackend;
  const ttsVoice = pick(values['tts-voice'], 'BANTER_TTS_VOICE');
  if (ttsVoice) tts.flite = { voice: ttsVoice };
  const codecLm: Record<string, unknown> = {};
  const ttsModel = pick(values['tts-model'], 'BANTER_TTS_MODEL');
  if (ttsModel) codecLm.lmModel = ttsModel;
  const codecModel = pick(values['codec-model'], 'BANTER_CODEC_MODEL');
  if (codecModel) codecLm.codecModel = codecModel;
  if (Object.keys(codecLm).length > 0) tts.codecLm = codecLm;
  if (Object.keys(tts).length > 0) out.tts = tts;
  const turnTaking: Record<string, unknown> = {};
  const falseInterruption = pick(values['false-interruption'], 'BANTER_FALSE_INTERRUPTION');
  if (falseInterruption) turnTaking.falseInterruption = falseInterruption;
  const endOfTurn = pick(values['end-of-turn'], 'BANTER_END_OF_TURN');
  if (endOfTurn) turnTaking.endOfTurn = endOfTurn;
  const answerBy = pick(values['answer-by-ms'], 'BANTER_ANSWER_BY_MS');
  if (answerBy !== undefined) turnTaking.answerByMs = Number(answerBy);
  if (Object.keys(turnTaking).length > 0) out.turnTaking = turnTaking;
  const speaker: Record<string, unknown> = {};
  const gate = pick(values['speaker-gate'], 'BANTER_SPEAKER_GATE');
  if (gate) speaker.mode = gate;
  const speakerModel = pick(values['speaker-model'], 'BANTER_SPEAKER_MODEL');
  if (speakerModel) speaker.modelPath = speakerModel;
  if (Object.keys(speaker).length > 0) out.speaker = speaker;
  const greeting = pick(values.greeting, 'BANTER_GREETING');
  if (greeting) out.greetingPath = greeting;
  const deadline = pick(values['shutdown-deadline-ms'], 'BANTER_SHUTDOWN_DEADLINE_MS');
  if (deadline !== undefined) out.shutdownDeadlineMs = Number(deadline);
  const auth: Record<string, unknown> = {};
  const authMode = pick(values.auth, 'BANTER_AUTH');
  if (authMode) auth.mode = authMode;
  // The secret only from the environment: a flag would show in `ps`.
  if (env.BANTER_AUTH_SECRET) auth.secret = env.BANTER_AUTH_SECRET;
  const publicKey = pick(values['auth-public-key'], 'BANTER_AUTH_PUBLIC_KEY');
  if (publicKey) auth.publicKeyPath = publicKey;
  const origins = pick(values['allowed-origins'], 'BANTER_ALLOWED_ORIGINS');
  if (origins)
    auth.allowedOrigins = origins
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  if (Object.keys(auth).length > 0) out.auth = auth;
  const metricsPort = pick(values['metrics-port'], 'BANTER_METRICS_PORT');
  if (metricsPort !== undefined) out.metricsPort = Number(metricsPort);
  const limits: Record<string, unknown> = {};
  const maxSessions = pick(values['max-sessions'], 'BANTER_MAX_SESSIONS');
  if (maxSessions !== undefined) limits.maxSessions = Number(maxSessions);
  const perAddress = pick(values['max-connections-per-address'], 'BANTER_MAX_CONNECTIONS_PER_ADDRESS');
  if (perAddress !== undefined) limits.maxConnectionsPerAddress = Number(perAddress);
  const idle = pick(values['idle-timeout-ms'], 'BANTER_IDLE_TIMEOUT_MS');
  if (idle !== undefined) limits.idleTimeoutMs = Number(idle);
  if (Object.keys(limits).length > 0) out.limits = limits;
  // A boolean: the flag alone, or BANTER_TRUST_PROXY=1/true (0/false/empty leave it off).
  if (values['trust-proxy'] === true) out.trustProxy = true;
  else if (env.BANTER_TRUST_PROXY !== undefined)
    out.trustProxy = parseBooleanEnv('BANTER_TRUST_PROXY', env.BANTER_TRUST_PROXY);
  const logLevel = pick(values['log-level'], 'BANTER_LOG_LEVEL');
  if (logLevel) out.logLevel = logLevel;
  return out as ConfigOverrides;
}

/** An on/off environment variable: 1/true/yes or 0/false/no/empty; anything else is a configuration error. */
function parseBooleanEnv(name: string, value: string): boolean | string {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  // Left as the string, so the schema rejects it with the key's name (configOrExit's one line).
  return value;
}
