declare module 'node-wav' {
  export interface Decoded {
    sampleRate: number;
    channelData: Float32Array[];
  }
  export function decode(buffer: Uint8Array): Decoded;
  export function encode(
    channelData: Float32Array[],
    options: { sampleRate: number; float?: boolean; bitDepth?: 8 | 16 | 24 | 32 },
  ): Buffer;
  const wav: { decode: typeof decode; encode: typeof encode };
  export default wav;
}
