/** PCM16 little-endian <-> float32 conversions (the wire format of pcm16 frames). */

export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true) / 32768;
  return out;
}

export function floatToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out[i] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
  }
  return out;
}

export function floatToPcm16(samples: Float32Array): Uint8Array {
  const ints = floatToInt16(samples);
  const out = new Uint8Array(ints.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < ints.length; i++) view.setInt16(2 * i, ints[i], true);
  return out;
}

export function int16ToFloat(ints: Int16Array): Float32Array {
  const out = new Float32Array(ints.length);
  for (let i = 0; i < ints.length; i++) out[i] = ints[i] / 32768;
  return out;
}
