/** Prometheus metrics, one registry per server instance (tests run several servers in one process). */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  // prom-client's default names already start with process_/nodejs_: the prefix is the service only.
  collectDefaultMetrics({ register: registry, prefix: 'banter_' });
  return {
    registry,
    sessionsActive: new Gauge({
      name: 'banter_sessions_active',
      help: 'Open sessions',
      registers: [registry],
    }),
    sessionsTotal: new Counter({
      name: 'banter_sessions_total',
      help: 'Sessions started',
      registers: [registry],
    }),
    framesProcessed: new Counter({
      name: 'banter_vad_frames_total',
      help: 'Caller audio frames (32 ms) run through the VAD',
      registers: [registry],
    }),
    vadFrameSeconds: new Histogram({
      name: 'banter_vad_frame_seconds',
      help: 'VAD inference time per 32 ms frame',
      buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
    transcripts: new Counter({
      name: 'banter_asr_transcripts_total',
      help: 'Transcripts sent to callers, by kind (partial, final)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'banter_errors_total',
      help: 'Errors reported to callers, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    bargeIns: new Counter({
      name: 'banter_barge_ins_total',
      help: 'Outputs cut by caller speech',
      registers: [registry],
    }),
    outputFrames: new Counter({
      name: 'banter_output_frames_total',
      help: 'Audio frames sent',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * In a cluster worker: answer the primary's requests for this registry, so the primary can
 * serve the sum over all workers (server/main.ts, --metrics-port). Nothing outside a cluster.
 */
export function shareWithClusterPrimary(registry: Registry): void {
  if (!cluster.isWorker) return;
  new AggregatorRegistry(); // installs the worker's IPC listener (prom-client does it in the constructor)
  AggregatorRegistry.setRegistries([registry]);
}
