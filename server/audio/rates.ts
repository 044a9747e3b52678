/**
 * The pipeline's one sample rate. Every decoder resamples caller audio to it,
 * every stage (VAD, speaker gate, ASR) reads it, every reply is produced at it;
 * the output encoder converts to the caller's rate at the very end.
 */
export const PIPELINE_SAMPLE_RATE = 16000;

/** Samples in `ms` of audio at the pipeline rate. */
export const samplesForMs = (ms: number): number => Math.round((ms * PIPELINE_SAMPLE_RATE) / 1000);

/** ms of audio in `samples` at the pipeline rate. */
export const msForSamples = (samples: number): number => (samples * 1000) / PIPELINE_SAMPLE_RATE;
