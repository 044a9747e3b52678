import { TurnTakingOptions } from './turn-taking/policies.ts';
import { TtsOptions } from './tts/synthesizers.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ASR_BACKEND } from './asr/recognizers.ts';
import { configFromEnvironment, defaultConfig, resolveConfig } from './config.ts';
import { defaultInputLimits } from './transport/input-decoder.ts';
import { defaultWriterOptions } from './transport/outbound-writer.ts';
import { ConnectionLimits } from './limits/limits.ts';
import { defaultVadOptions } from './turn-taking/vad-processor.ts';

describe('server configuration', () => {
  it("takes each component's defaults from the component's own schema", () => {
    const { frameMs: _f, keepAudio: _k, ...vad } = defaultVadOptions;
    expect(defaultConfig.vad).toEqual(vad);
    expect(defaultConfig.writer).toEqual({
      leadMs: defaultWriterOptions.leadMs,
      highWaterBytes: defaultWriterOptions.highWaterBytes,
      stallTimeoutMs: defaultWriterOptions.stallTimeoutMs,
      maxBufferedBytes: defaultWriterOptions.maxBufferedBytes,
    });
    expect(defaultConfig.limits).toEqual(ConnectionLimits.parse({}));
    expect(defaultConfig.maxFrameMs).toBe(defaultInputLimits.maxFrameMs);
    expect(defaultConfig.turnTaking).toEqual(TurnTakingOptions.parse({}));
    expect(defaultConfig.turnTaking).toMatchObject({
      bargeIn: 'vad',
      falseInterruption: 'resume',
      endOfTurn: 'model',
    });
    expect(defaultConfig.tts).toEqual(TtsOptions.parse({}));
    expect(defaultConfig.tts.backend).toBe('flite');
  });

  it('merges partial nested overrides over the defaults, and refuses bad values', () => {
    const c = resolveConfig({ vad: { minSpeechMs: 96 }, writer: { leadMs: 60 }, port: 0 });
    expect(c.vad).toEqual({ ...defaultConfig.vad, minSpeechMs: 96 });
    expect(c.writer.leadMs).toBe(60);
    expect(c.writer.stallTimeoutMs).toBe(defaultConfig.writer.stallTimeoutMs);
    expect(() => resolveConfig({ vad: { positiveThreshold: 2 } })).toThrow();
    expect(() => resolveConfig({ turnTaking: { bargeIn: 'sometimes' as 'vad' } })).toThrow();
    expect(() => resolveConfig({ unknown: 1 } as never)).toThrow();
  });

  it('reads flags over environment variables', () => {
    const o = configFromEnvironment(['--port', '9000', '--vad-version', 'v6'], {
      BANTER_PORT: '7000',
      BANTER_LOG_LEVEL: 'warn',
    });
    expect(resolveConfig(o)).toMatchObject({ port: 9000, vadVersion: 'v6', logLevel: 'warn' });
  });

  it("sets the VAD's hangover (the silence that ends speech) by flag or environment", () => {
    expect(defaultConfig.vad.redemptionMs).toBe(400);
    expect(resolveConfig(configFromEnvironment(['--vad-hangover-ms', '250'], {})).vad).toMatchObject({
      redemptionMs: 250,
      positiveThreshold: 0.5,
    });
    expect(resolveConfig(configFromEnvironment([], { BANTER_VAD_HANGOVER_MS: '300' })).vad.redemptionMs).toBe(
      300,
    );
  });

  it('sets the long endpointing delay by flag or environment', () => {
    expect(defaultConfig.turnTaking.answerByMs).toBe(1200);
    expect(resolveConfig(configFromEnvironment(['--answer-by-ms', '600'], {})).turnTaking.answerByMs).toBe(
      600,
    );
    expect(resolveConfig(configFromEnvironment([], { BANTER_ANSWER_BY_MS: '0' })).turnTaking.answerByMs).toBe(
      0,
    );
  });

  it('trusts a reverse proxy for the client address by flag or environment, off by default', () => {
    const trust = (argv: string[], env: Record<string, string>) =>
      resolveConfig(configFromEnvironment(argv, env)).trustProxy;
    expect(defaultConfig.trustProxy).toBe(false);
    expect(trust(['--trust-proxy'], {})).toBe(true);
    expect(trust([], { BANTER_TRUST_PROXY: '1' })).toBe(true);
    expect(trust([], { BANTER_TRUST_PROXY: 'false' })).toBe(false);
    expect(() => trust([], { BANTER_TRUST_PROXY: 'maybe' })).toThrow(/trustProxy/);
  });

  it('turns the speaker gate on and picks its encoder by flag or environment (off by default)', () => {
    expect(defaultConfig.speaker.mode).toBe('off');
    expect(defaultConfig.speaker.modelPath).toMatch(/models\/speaker$/);
    expect(resolveConfig(configFromEnvironment(['--speaker-gate', 'verify'], {})).speaker.mode).toBe(
      'verify',
    );
    expect(
      resolveConfig(
        configFromEnvironment([], { BANTER_SPEAKER_GATE: 'verify', BANTER_SPEAKER_MODEL: '/m/cam' }),
      ).speaker,
    ).toMatchObject({ mode: 'verify', modelPath: '/m/cam', firstDecisionMs: 250 });
    expect(() => resolveConfig(configFromEnvironment(['--speaker-gate', 'maybe'], {}))).toThrow(/speaker/);
  });

  it('sets the idle timeout by flag or environment (0 turns it off)', () => {
    expect(defaultConfig.limits.idleTimeoutMs).toBe(60_000);
    expect(resolveConfig(configFromEnvironment(['--idle-timeout-ms', '0'], {})).limits.idleTimeoutMs).toBe(0);
    expect(
      resolveConfig(configFromEnvironment([], { BANTER_IDLE_TIMEOUT_MS: '5000' })).limits.idleTimeoutMs,
    ).toBe(5000);
  });

  it('selects the recognizer by flag or environment', () => {
    expect(defaultConfig.asr).toMatchObject({ backend: DEFAULT_ASR_BACKEND, feed: { preRollMs: 200 } });
    expect(defaultConfig.asr.modelPath).toMatch(/models\/asr$/);
    const o = configFromEnvironment(['--asr-model', '/m/zipformer'], { BANTER_ASR: 'sherpa-onnx' });
    expect(resolveConfig(o).asr).toMatchObject({
      backend: 'sherpa-onnx',
      modelPath: '/m/zipformer',
      feed: { preRollMs: 200 },
      sherpa: { numThreads: 1 },
    });
    expect(() => resolveConfig({ asr: { backend: 'whisper' as 'none' } })).toThrow();
  });

  it('selects the language model by flag or environment, the API key from the environment only', () => {
    expect(defaultConfig.llm).toMatchObject({ backend: 'banter', serveRoute: true, timeoutMs: 10_000 });
    expect(defaultConfig.llm.modelPath).toMatch(/models\/tdm$/);
    const o = configFromEnvironment(['--llm', 'openai', '--llm-model-name', 'qwen2.5'], {
      BANTER_LLM_URL: 'http://10.0.0.5:8000/v1',
      BANTER_LLM_API_KEY: 'sk-test',
    });
    expect(resolveConfig(o).llm).toMatchObject({
      backend: 'openai',
      url: 'http://10.0.0.5:8000/v1',
      model: 'qwen2.5',
      apiKey: 'sk-test',
    });
    expect(() => configFromEnvironment(['--llm-api-key', 'x'], {})).toThrow();
    expect(() => resolveConfig({ llm: { backend: 'openai', url: 'not a url' } })).toThrow();
    expect(() => resolveConfig({ llm: { backend: 'openai' } })).toThrow(/llm\.url is required/);
  });

  it('selects the synthesizer, the recognizer bridge and the turn-taking ablations by flag or environment', () => {
    const o = configFromEnvironment(
      ['--tts', 'none', '--asr', 'pocketsphinx', '--false-interruption', 'stop'],
      {
        BANTER_END_OF_TURN: 'silence',
        BANTER_TTS_VOICE: 'rms',
      },
    );
    const c = resolveConfig(o);
    expect(c.tts).toMatchObject({ backend: 'none', flite: { voice: 'rms' } });
    expect(c.asr.backend).toBe('pocketsphinx');
    expect(c.turnTaking).toMatchObject({ falseInterruption: 'stop', endOfTurn: 'silence', bargeIn: 'vad' });
    expect(() => resolveConfig(configFromEnvironment(['--end-of-turn', 'sometimes'], {}))).toThrow();
    expect(() => resolveConfig(configFromEnvironment(['--tts-voice', 'hal'], {}))).toThrow();
  });

  it('points the codec-LM synthesizer at its model folders by flag or environment', () => {
    const c = resolveConfig(
      configFromEnvironment(['--tts', 'codec-lm', '--tts-model', '/m/lm'], {
        BANTER_CODEC_MODEL: '/m/codec',
      }),
    );
    expect(c.tts.backend).toBe('codec-lm');
    expect(c.tts.codecLm).toMatchObject({ lmModel: '/m/lm', codecModel: '/m/codec', repetitionAware: true });
    expect(resolveConfig({}).tts.codecLm.lmModel).toBeUndefined(); // models/codec-lm by default
  });
});
