/**
 * Typed handles on the AudioWorkletGlobalScope, which TypeScript's DOM lib
 * does not describe. Imported only by the worklet bundles.
 */

interface ProcessorBase {
  readonly port: MessagePort;
}

interface WorkletScope {
  /** The AudioContext's rate, Hz. */
  sampleRate: number;
  AudioWorkletProcessor: new (options?: AudioWorkletNodeOptions) => ProcessorBase;
  registerProcessor(
    name: string,
    ctor: new (options: AudioWorkletNodeOptions) => ProcessorBase & {
      process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean;
    },
  ): void;
}

export const worklet = globalThis as unknown as WorkletScope;
